package idmap

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseSubIDs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(p, []byte("# comment\nalice:100000:65536\nbob:165536:65536\n1001:300000:1000\nalice:bad:1\nalice:500000:0\nalice:400000:10\n"), 0o644)
	got, err := parseSubIDs(p, "alice", 1001)
	if err != nil {
		t.Fatal(err)
	}
	want := []subIDRange{{100000, 65536}, {300000, 1000}, {400000, 10}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	r := buildRanges(1001, got)
	wantR := []Range{{0, 1001, 1}, {1, 100000, 65536}, {65537, 300000, 1000}, {66537, 400000, 10}}
	if !reflect.DeepEqual(r, wantR) {
		t.Errorf("ranges %v, want %v", r, wantR)
	}
	if args := helperArgs(42, r[:2]); !reflect.DeepEqual(args, []string{"42", "0", "1001", "1", "1", "100000", "65536"}) {
		t.Errorf("newuidmap args %v", args)
	}
}
