package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/test/imagebuild"
)

// podman runs Debian's podman as the test user. test/run-tests.sh readies
// it (a rootless pause that hides the hybrid cgroup2 mount from crun, see
// test/bench/podman.sh) and says so with PODCTL_TEST_PODMAN=1.
func podman(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	return string(out), err
}

// TestImagePodmanInterop: one store, two tools. An image podman loaded is
// listed and run by podctl, and one podctl loaded is run by podman.
func TestImagePodmanInterop(t *testing.T) {
	if os.Getenv("PODCTL_TEST_PODMAN") == "" {
		t.Skip("podman is not readied for this user (test/run-tests.sh does it as root and sets PODCTL_TEST_PODMAN=1)")
	}
	leakCheck(t)
	dir := t.TempDir()
	fromPodman := testImage(t, "localhost/podctl-e2e/from-podman:1", imagebuild.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"echo", "loaded by podman"}})
	fromPodctl := testImage(t, "localhost/podctl-e2e/from-podctl:1", imagebuild.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"echo", "loaded by podctl"}})
	if err := fromPodman.WriteDockerArchive(filepath.Join(dir, "a.tar")); err != nil {
		t.Fatal(err)
	}
	if out, err := podman(t, "load", "-q", "-i", filepath.Join(dir, "a.tar")); err != nil {
		t.Fatalf("podman load: %v: %s", err, out)
	}
	defer podman(t, "rmi", "-f", fromPodman.Name)
	if r := run(t, "images"); !strings.Contains(r.stdout, "localhost/podctl-e2e/from-podman") {
		t.Errorf("podctl images does not list podman's image:\n%s", r.stdout)
	}
	if r := run(t, "run", "--rm", fromPodman.Name); strings.TrimSpace(r.stdout) != "loaded by podman" {
		t.Errorf("podctl run of podman's image: %q %s", r.stdout, r.stderr)
	}

	loadImage(t, fromPodctl, "oci-archive")
	out, err := podman(t, "run", "--rm", "--network", "none", fromPodctl.Name)
	if err != nil || !strings.Contains(out, "loaded by podctl") {
		t.Errorf("podman run of podctl's image: %v: %s", err, out)
	}
	// Each sees the other's removal.
	if out, err := podman(t, "rmi", fromPodman.Name); err != nil {
		t.Errorf("podman rmi: %v %s", err, out)
	}
	if r := run(t, "images"); strings.Contains(r.stdout, "from-podman") {
		t.Errorf("podctl still lists the image podman removed:\n%s", r.stdout)
	}
}

// podctl inside a rootless podman container (--privileged, as for a
// nested podctl pod): a CI runner that is itself a container.
func TestNestedInPodman(t *testing.T) {
	if os.Getenv("PODCTL_TEST_PODMAN") == "" {
		t.Skip("podman is not readied for this user (test/run-tests.sh does it as root and sets PODCTL_TEST_PODMAN=1)")
	}
	leakCheck(t)
	img := testImage(t, "localhost/podctl-e2e/runner:1", imagebuild.Config{Env: []string{"PATH=/bin"}})
	loadImage(t, img, "oci-archive")
	out, err := podman(t, "run", "--rm", "--privileged", "--network", "none",
		"-v", filepath.Dir(podctl)+":/podctl:ro", "-v", rootfs+":/inner", "--entrypoint", "/podctl/podctl",
		img.Name, "run", "--rm", "--rootfs", "/inner", "--", "sh", "-c", "echo in-podman; id -u")
	// (A fresh state root in the container: the once-per-user notice that
	// pods run without cgroup limits comes first, on stderr.)
	var lines []string
	for _, l := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(l, "podctl: notice:") {
			lines = append(lines, l)
		}
	}
	if kept := strings.Join(lines, ""); err != nil || !strings.HasPrefix(kept, "in-podman\n0\n") {
		t.Errorf("podctl inside podman: %v: %s", err, out)
	}
}
