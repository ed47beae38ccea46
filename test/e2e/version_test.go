package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneVersion: podctl --version, podctl version and every helper
// binary next to it print one version, the one the build stamped (the
// Makefile's git describe): a helper built without the stamp says "dev"
// and fails here, as does one left over from another build. (The CRI's
// RuntimeVersion is checked against it by TestCRI.)
func TestOneVersion(t *testing.T) {
	want := strings.TrimPrefix(strings.TrimSpace(run(t, "--version").stdout), "podctl version ")
	if want == "" || want == "dev" {
		t.Fatalf("podctl --version says %q: not stamped at build time (build with make)", want)
	}
	if got := strings.TrimSpace(run(t, "version").stdout); got != "podctl version "+want {
		t.Errorf("podctl version = %q; want podctl version %s", got, want)
	}
	for _, helper := range []string{"podctl-net", "podctl-store", "podctl-image", "podctl-kube", "podctl-cri"} {
		path := filepath.Join(filepath.Dir(podctl), helper)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s is not next to podctl: %v", helper, err)
			continue
		}
		out, err := exec.Command(path, "--version").Output()
		fields := strings.Fields(string(out))
		if err != nil || len(fields) != 3 || fields[1] != "version" || fields[2] != want {
			t.Errorf("%s --version = %q (%v); want its name, \"version\" and %s", helper, out, err, want)
		}
	}
}
