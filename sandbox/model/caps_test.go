package model

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// SeccompFilter compiles a profile once per process, and a profile file
// again once it has changed.
func TestSeccompFilterMemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profile.json")
	write := func(names string) {
		t.Helper()
		p := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":[` + names + `],"action":"SCMP_ACT_ERRNO"}]}`
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	compile := func() []byte {
		t.Helper()
		b, err := SeccompFilter(&ContainerSpec{Seccomp: path}, false)
		if err != nil || len(b) == 0 {
			t.Fatalf("compiling %s: %d bytes, %v", path, len(b), err)
		}
		return b
	}
	write(`"mkdir"`)
	first := compile()
	if again := compile(); &again[0] != &first[0] {
		t.Error("the same profile was compiled twice")
	}
	write(`"mkdir","rmdir"`)
	if changed := compile(); bytes.Equal(changed, first) {
		t.Error("a changed profile file gave the program of its earlier content")
	}
	// The default profile is memoized per capability set.
	d1, _ := SeccompFilter(&ContainerSpec{}, false)
	d2, _ := SeccompFilter(&ContainerSpec{Caps: []string{"SYS_ADMIN"}}, false)
	if len(d1) == 0 || bytes.Equal(d1, d2) {
		t.Error("the default profile's program does not depend on the capabilities")
	}
}
