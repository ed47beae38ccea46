package model

import (
	"strings"
	"testing"
)

// -e values and the rest of a container's spec: Validate refuses or
// accepts, never panics; an accepted env entry always has a key.
func FuzzContainerEnv(f *testing.F) {
	for _, s := range []string{"A=b", "=x", "A", "PATH", "A=b=c", " =x", "A\n=b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		c := ContainerSpec{Name: "fuzz", Rootfs: "/", Args: []string{"true"}, Env: []string{kv}}
		if err := c.Validate(); err != nil {
			return
		}
		if k, _, ok := strings.Cut(c.Env[0], "="); !ok || k == "" {
			t.Errorf("accepted env entry %q", c.Env[0])
		}
	})
}

// The kernel's per-string limit, refused up front: MAX_ARG_STRLEN counts
// the terminating NUL.
func TestCheckExecString(t *testing.T) {
	if err := CheckExecString(strings.Repeat("x", MaxExecString-1)); err != nil {
		t.Errorf("the longest string execve takes: %v", err)
	}
	if err := CheckExecString(strings.Repeat("x", MaxExecString)); err == nil || !strings.Contains(err.Error(), "MAX_ARG_STRLEN") {
		t.Errorf("one byte more: %v", err)
	}
}
