package sandbox

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
	wantR := []IDRange{{0, 1001, 1}, {1, 100000, 65536}, {65537, 300000, 1000}, {66537, 400000, 10}}
	if !reflect.DeepEqual(r, wantR) {
		t.Errorf("ranges %v, want %v", r, wantR)
	}
	if args := helperArgs(42, r[:2]); !reflect.DeepEqual(args, []string{"42", "0", "1001", "1", "1", "100000", "65536"}) {
		t.Errorf("newuidmap args %v", args)
	}
}

func TestParseUserSpec(t *testing.T) {
	good := map[string][2]string{"": {"", ""}, "0": {"0", ""}, "1000:10": {"1000", "10"}, "alice": {"alice", ""}, "alice:wheel": {"alice", "wheel"}}
	for spec, want := range good {
		u, g, err := ParseUserSpec(spec)
		if err != nil || u != want[0] || g != want[1] {
			t.Errorf("%q: %q %q %v", spec, u, g, err)
		}
	}
	for _, spec := range []string{":", "1000:", ":10", "-1", "4294967295", "99999999999", "a:b:c", "a b"} {
		if _, _, err := ParseUserSpec(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}

func TestResolveUser(t *testing.T) {
	etc := t.TempDir()
	os.WriteFile(filepath.Join(etc, "passwd"), []byte("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "group"), []byte("wheel:x:10:alice,bob\nbig:x:70000:alice\nalice:x:1000:\n"), 0o644)
	c, err := resolveUserIn(etc, "alice", 65537)
	if err != nil {
		t.Fatal(err)
	}
	if c.uid != 1000 || c.gid != 1000 || c.home != "/home/alice" || !reflect.DeepEqual(c.groups, []uint32{10}) {
		t.Errorf("alice: %+v (unmapped group 70000 must be skipped)", c)
	}
	if c, _ := resolveUserIn(etc, "", 65537); c.uid != 0 || c.home != "/root" {
		t.Errorf("default user: %+v", c)
	}
	if c, _ := resolveUserIn(etc, "5000:wheel", 65537); c.uid != 5000 || c.gid != 10 || c.home != "/" {
		t.Errorf("5000:wheel: %+v", c)
	}
	for _, bad := range []string{"mallory", "alice:nogroup", "70000"} {
		if _, err := resolveUserIn(etc, bad, 65537); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "web-1", "0abc"} {
		if err := ValidateName("pod", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "A", "a_b", "a.b", string(make([]byte, 64))} {
		if ValidateName("pod", bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestProcStartTime(t *testing.T) {
	a, err := procStartTime(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("%d %v", a, err)
	}
	if b, _ := procStartTime(os.Getpid()); b != a {
		t.Errorf("start time changed: %d %d", a, b)
	}
}
