package idmap

import (
	"reflect"
	"testing"
)

func TestNestMaps(t *testing.T) {
	std := Mapping{UIDs: buildRanges(1001, []subIDRange{{100000, 65536}}), GIDs: buildRanges(1001, []subIDRange{{100000, 1000}, {200000, 65536}}), Helpers: true}
	uids, gids := NestParent(std)
	if want := []Range{{1, 100000, 65536}, {65537, 1001, 1}}; !reflect.DeepEqual(uids, want) {
		t.Errorf("parent uids = %v, want %v", uids, want)
	}
	if want := []Range{{1, 100000, 1000}, {1001, 200000, 65536}, {66537, 1001, 1}}; !reflect.DeepEqual(gids, want) {
		t.Errorf("parent gids = %v, want %v", gids, want)
	}
	// A pod's standard map, from inside: root is the user (65537 there),
	// the rest the same numbers the subordinate ids have there.
	if m, err := NestMap(std.UIDs, uids); err != nil || m != "0 65537 1\n1 1 65536\n" {
		t.Errorf("pod uid map = %q, %v", m, err)
	}
	if m, err := NestMap(std.GIDs, gids); err != nil || m != "0 66537 1\n1 1 1000\n1001 1001 65536\n" {
		t.Errorf("pod gid map = %q, %v", m, err)
	}
	// keep-id: the user's own id inside is the user's own outside.
	keep, err := std.KeepID(1001, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := NestMap(keep.UIDs, uids); err != nil || m != "0 1 1001\n1001 65537 1\n1002 1002 64535\n" {
		t.Errorf("keep-id uid map = %q, %v", m, err)
	}
	// Host ids the per-user namespace does not have cannot be mapped.
	if _, err := NestMap([]Range{{0, 5000, 1}}, uids); err == nil {
		t.Error("a host id outside the per-user namespace was mapped")
	}
	if !SameRanges([]Range{{1, 2, 3}, {0, 9, 1}}, []Range{{0, 9, 1}, {1, 2, 3}}) || SameRanges([]Range{{1, 2, 3}}, []Range{{1, 2, 4}}) {
		t.Error("SameRanges")
	}
	if rs, err := ParseMap("         0       1001          1\n         1     100000      65536\n"); err != nil || !reflect.DeepEqual(rs, []Range{{0, 1001, 1}, {1, 100000, 65536}}) {
		t.Errorf("ParseMap = %v, %v", rs, err)
	}
}
