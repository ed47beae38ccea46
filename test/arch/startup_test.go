package arch

import (
	"os/exec"
	"strings"
	"testing"
)

// offStartPath are packages that podctl, the binary every pod start and
// every stage runs, must not link: each costs its package initialisers and
// pages on every start (docs/benchmarks.md). k8s.io and containers-storage
// live in podctl-kube and podctl-store; regexp (and the unicode tables it
// initialises) and text/template came with urfave/cli, which package cli
// replaced; the netlink library configures namespaces in podctl-net, and
// podctl reads the host's routes with plain rtnetlink dumps
// (netsetup/hostroute.go).
var offStartPath = []string{"regexp", "text/template", "github.com/urfave/cli/v2", "k8s.io/", "go.podman.io/", "google.golang.org/grpc", "github.com/vishvananda/"}

// heavyDeps returns the packages of deps that offStartPath names.
func heavyDeps(deps []string) []string {
	var bad []string
	for _, d := range deps {
		for _, p := range offStartPath {
			if d == p || strings.HasSuffix(p, "/") && strings.HasPrefix(d, p) {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

func TestPodctlStartPath(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "osusergo,netgo", module+"/cmd/podctl")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list found %d dependencies of podctl; expected all of them", len(deps))
	}
	for _, d := range heavyDeps(deps) {
		t.Errorf("podctl links %s, which every pod start would pay for", d)
	}
}

// TestHeavyDepsCatches is TestPodctlStartPath's positive control.
func TestHeavyDepsCatches(t *testing.T) {
	got := heavyDeps([]string{"os", "regexp/syntax", "regexp", "k8s.io/api/core/v1", "text/tabwriter"})
	if strings.Join(got, " ") != "regexp k8s.io/api/core/v1" {
		t.Errorf("heavyDeps = %q, want regexp and k8s.io/api/core/v1", got)
	}
}
