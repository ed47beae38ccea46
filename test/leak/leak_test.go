package leak

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Each test is a positive control: it leaves one thing behind on purpose
// between two snapshots and requires the oracle to name it, then takes it
// away and requires the oracle to be quiet.

func diffHas(t *testing.T, d []string, aspect, entry string) {
	t.Helper()
	for _, l := range d {
		if strings.HasPrefix(l, aspect) && strings.Contains(l, entry) {
			return
		}
	}
	t.Errorf("the oracle missed %q under %q; it said %q", entry, aspect, d)
}

// gone: once the thing is taken away, the oracle stops naming it. (Only
// that thing: as root, the machine's other processes, and the other test
// binaries go test runs beside this one, come and go meanwhile.)
func gone(t *testing.T, before Snapshot, aspect, entry string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var still []string
		for _, l := range Diff(before, Take(Options{})) {
			if strings.HasPrefix(l, aspect) && strings.Contains(l, entry) {
				still = append(still, l)
			}
		}
		if len(still) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("taken away, yet the oracle still says %q", still)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestProcessLeft(t *testing.T) {
	before := Take(Options{})
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	diffHas(t, Diff(before, Take(Options{})), "processes: added", "sleep")
	cmd.Process.Kill()
	cmd.Wait()
	gone(t, before, "processes", "sleep")
}

func TestDescriptorLeft(t *testing.T) {
	before := Take(Options{})
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	diffHas(t, Diff(before, Take(Options{})), prefixFDs, "/etc/hostname")
	f.Close()
	gone(t, before, prefixFDs, "/etc/hostname")
}

func TestTempEntryLeft(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	before := Take(Options{})
	dir := filepath.Join(os.TempDir(), "podctl-leaktest")
	os.Mkdir(dir, 0o700)
	diffHas(t, Diff(before, Take(Options{})), aspectTmp, "podctl-leaktest")
	// Only the temp aspect: as root, go test's other processes (vet, the
	// other packages' test binaries) come and go between the snapshots.
	for _, l := range Diff(before, Take(Options{ExceptTemp: []string{"podctl-leaktest"}})) {
		if strings.HasPrefix(l, aspectTmp) {
			t.Errorf("an excepted temp entry was reported: %q", l)
		}
	}
	os.Remove(dir)
	gone(t, before, aspectTmp, "podctl-leaktest")
}

// A mount made inside a mount namespace that a podctl process holds: the
// holder is a shell script named podctl-leaktest (its comm), in a user and
// mount namespace of its own (unshare(1)); it mounts a tmpfs when told.
func TestMountInPodctlNamespace(t *testing.T) {
	script := filepath.Join(t.TempDir(), "podctl-leaktest")
	os.WriteFile(script, []byte("#!/bin/sh\nread x\nmount -t tmpfs leaktest /mnt || exit 1\necho mounted\nread y\n"), 0o755)
	cmd := exec.Command("unshare", "-Urm", "--propagation", "private", script)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The holder must be there, in its namespace, before the first snapshot.
	for i := 0; i < 100; i++ {
		if ns, _ := os.Readlink("/proc/" + itoa(cmd.Process.Pid) + "/ns/mnt"); ns != "" {
			if mine, _ := os.Readlink("/proc/self/ns/mnt"); ns != mine {
				if c, _ := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/comm"); strings.HasPrefix(string(c), "podctl") {
					break
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := Take(Options{})
	in.Write([]byte("\n"))
	if l, _ := bufio.NewReader(out).ReadString('\n'); l != "mounted\n" {
		t.Fatalf("the holder did not mount: %q", l)
	}
	diffHas(t, Diff(before, Take(Options{})), prefixMnt, "/mnt  /  tmpfs  leaktest")
	// And a leak in a namespace nobody holds any more is a process leak,
	// or nothing: the namespace went with its last process.
	in.Close()
	cmd.Wait()
	gone(t, before, prefixMnt, "leaktest")
}

// As root, the caller's own mount table: a tmpfs mounted, then unmounted.
func TestMountInCallersNamespace(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("only root mounts in the host's mount namespace")
	}
	dir := t.TempDir()
	before := Take(Options{})
	if out, err := exec.Command("mount", "-t", "tmpfs", "leaktest", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	diffHas(t, Diff(before, Take(Options{})), "mounts of the caller's namespace: added", "tmpfs  leaktest")
	exec.Command("umount", dir).Run()
	gone(t, before, "mounts of the caller's namespace", "tmpfs  leaktest")
}

func TestWalkSkeleton(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"pods/web", "kube/configmap", "network/leases"} {
		os.MkdirAll(filepath.Join(root, d), 0o700)
	}
	os.WriteFile(filepath.Join(root, "notice-cgroups"), nil, 0o600)
	os.WriteFile(filepath.Join(root, "kube/configmap/cfg"), nil, 0o600)
	os.Symlink("elsewhere", filepath.Join(root, "network/leases/10.0.0.2"))
	got := strings.Join(walk(root, true), " | ")
	want := "kube/configmap/cfg | network/leases/10.0.0.2 -> elsewhere | pods/web/"
	if got != want {
		t.Errorf("walk: got %q, want %q", got, want)
	}
}

func TestSetDiff(t *testing.T) {
	added, removed := setDiff([]string{"a", "b", "b", "d"}, []string{"b", "c", "d", "d"})
	if strings.Join(added, ",") != "c,d" || strings.Join(removed, ",") != "a,b" {
		t.Errorf("setDiff: added %v removed %v", added, removed)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
