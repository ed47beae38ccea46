package model

import (
	"testing"
)

// The -u flag: never a panic; what it accepts round-trips.
func FuzzParseUserSpec(f *testing.F) {
	for _, s := range []string{"", "0", "1000:1000", "alice", "alice:wheel", ":", "1000:", "-5", "4294967295", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		u, g, err := ParseUserSpec(spec)
		if err != nil {
			return
		}
		if g == "" && u != spec || g != "" && u+":"+g != spec {
			t.Errorf("ParseUserSpec(%q) = %q, %q", spec, u, g)
		}
	})
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
