package nsenter

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitC builds the C unit tests of the container's init (ctest/,
// with AddressSanitizer and UBSan) and runs them on a plan written here by
// InitPlan.Encode: what the C parser reads back must be what Go meant.
func TestInitC(t *testing.T) {
	dir := t.TempDir()
	bin := buildCTest(t, dir, "ctest/init_test.c", "initplan.c", "initfs.c")
	plan := &InitPlan{
		Where:    "container web of pod p",
		Steps:    [][]string{{"private"}, {"root", "/r o/ot"}, {"mount", "/proc", "proc", "proc", "14", "", "why", "0"}, {"pivot"}},
		UserSpec: "alice:wheel", UserPart: "alice", GroupPart: "wheel", IDsMapped: 65536, RunAsNonRoot: true,
		Tty: true, Env: []string{"PATH=/bin", "HOME=", "A=b=c", ""}, HomeAt: 1, Cwd: "/work dir",
		Caps: 1<<0 | 1<<21 | 1<<40, CapNames: "CHOWN SYS_ADMIN CHECKPOINT_RESTORE", LastCap: 40, Setgroups: true,
		Seccomp: []byte{6, 0, 0, 0, 0, 0, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}, SeccompNotify: true,
		Args: []string{"/bin/sh", "-c", "echo 'a b'", ""},
	}
	b, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "plan")
	os.WriteFile(planFile, b, 0o600)
	work := filepath.Join(dir, "work")
	os.Mkdir(work, 0o755)
	out, err := exec.Command(bin, planFile, work).CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "ok\n") {
		t.Fatalf("C tests: %v\n%s", err, out)
	}
	want := `where container web of pod p
step private
step root [/r o/ot]
step mount [/proc] [proc] [proc] [14] [] [why] [0]
step pivot
user [alice:wheel] [alice] [wheel] 65536 1
tty 1 exec 0 setgroups 1 privileged 0
env PATH=/bin
env (home)
env A=b=c
env 
cwd [/work dir]
caps 40 10000200001 [CHOWN SYS_ADMIN CHECKPOINT_RESTORE]
seccomp 16 notify 1
arg [/bin/sh]
arg [-c]
arg [echo 'a b']
arg []
ok
`
	if string(out) != want {
		t.Errorf("the C side read the plan as\n%s\nwant\n%s", out, want)
	}

	// A string C cannot hold is refused on the Go side.
	plan.Args = []string{"a\x00b"}
	if _, err := plan.Encode(); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("an argument with a NUL: %v", err)
	}
}

// buildCTest builds a C unit test program of ctest/ (its first source)
// with the C files it tests, with AddressSanitizer and UBSan, into dir.
func buildCTest(t *testing.T, dir string, sources ...string) string {
	t.Helper()
	bin := filepath.Join(dir, strings.TrimSuffix(filepath.Base(sources[0]), ".c"))
	args := append([]string{"-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror",
		"-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-o", bin}, sources...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("building the C tests: %v\n%s", err, out)
	}
	return bin
}

// TestBridgePlugC builds and runs the C unit test of the plug into the
// shared bridge (ctest/bridgeplug_test.c): it makes a user namespace, a
// bridge and a pod's network namespace of its own, plugs, and reads every
// property back from the kernel.
func TestBridgePlugC(t *testing.T) {
	bin := buildCTest(t, t.TempDir(), "ctest/bridgeplug_test.c")
	out, err := exec.Command(bin).CombinedOutput()
	if strings.HasPrefix(string(out), "skip") {
		t.Skip(strings.TrimSpace(string(out)))
	}
	if err != nil || !strings.HasSuffix(string(out), "ok\n") {
		t.Fatalf("C tests: %v\n%s", err, out)
	}
}
