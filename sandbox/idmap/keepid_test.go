package idmap

import (
	"reflect"
	"testing"
)

func TestKeepRanges(t *testing.T) {
	std := buildRanges(1001, []subIDRange{{100000, 65536}})
	got, err := keepRanges(std, 1001)
	if err != nil {
		t.Fatal(err)
	}
	want := []Range{{0, 100000, 1001}, {1001, 1001, 1}, {1002, 101001, 64535}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keepRanges = %v, want %v", got, want)
	}
	// Two subordinate ranges, the caller's id falling in the second.
	got, _ = keepRanges(buildRanges(1500, []subIDRange{{100000, 1000}, {200000, 65536}}), 1500)
	want = []Range{{0, 100000, 1000}, {1000, 200000, 500}, {1500, 1500, 1}, {1501, 200500, 65036}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("two ranges: %v, want %v", got, want)
	}
	// Every inside id 0..N-1 is mapped once, and only own maps to own.
	if _, err := keepRanges(buildRanges(70000, []subIDRange{{100000, 65536}}), 70000); err == nil {
		t.Error("an id above the range's size was accepted")
	}
}
