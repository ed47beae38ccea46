package stage

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

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
