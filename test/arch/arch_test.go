// Package arch holds the architecture test: podctl's packages form layers,
// and a package imports only packages of lower layers (docs/architecture.md).
// It reads the import graph from `go list`, tests' imports included, so it
// fails on a wrong import anywhere in the module, and on a package that
// no layer names (a new package must be placed on purpose).
package arch

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/podctl/podctl"

// layers, lowest first. A package may import packages of lower layers
// only: not its own layer's, not a higher one's.
var layers = [][]string{
	// Starting a child process without os/exec's extra clone.
	{"sandbox/forkexec"},
	// Leaves: kernel interfaces, formats and helpers that know no pod.
	{"nsenter", "rootfs", "cgroups", "images", "netsetup", "version", "cmd/internal/cli",
		"sandbox/seccomp", "sandbox/explain", "sandbox/termio", "sandbox/crilog", "sandbox/wire",
		"sandbox/plainjson"},
	{"images/store", "sandbox/idmap", "netsetup/netproc", "cmd/internal/cliargs", "cmd/internal/clidoc"},
	// The pod model and its state on disk.
	{"sandbox/model"},
	// The processes that build a pod; the control-socket protocol.
	{"sandbox/stage", "sandbox/control"},
	// Container layers; the pod's network glue; probes' and hooks' actions;
	// a container's standard streams.
	{"sandbox/layers", "sandbox/podnet", "sandbox/handler", "sandbox/diskusage", "sandbox/stdio", "sandbox/podcgroup"},
	// The per-pod supervisor.
	{"sandbox/supervisor"},
	// The pod API.
	{"sandbox"},
	// The CRI server's CNI network, over the pod API.
	{"cri/cninet"},
	// Kubernetes manifests and the CRI server, over the pod API.
	{"kube", "cri"},
	// Programs.
	{"cmd/podctl", "cmd/podctl-kube", "cmd/podctl-cri", "cmd/podctl-store", "cmd/podctl-image", "cmd/podctl-net",
		"examples/kube-proxy/webproxy", "test/nettool", "test/bench/cribench", "test/imagebuild", "test/vm/vmconf", "test/leak"},
	{"test/mkimage", "test/critest/images", "test/critest/nonewprivs", "test/critest/fwd", "test/vm/init", "test/e2e", "test/arch", "test/leak/leakcheck"},
	{"test/vm"},
}

// apiOnly: what the programs and kube/ may import of sandbox/: the pod API
// and the model types its signatures use, nothing below.
var apiOnly = []string{"cmd/podctl", "cmd/podctl-kube", "cmd/podctl-cri", "kube", "cri", "cri/cninet"}

// apiVocabulary: what those may import of sandbox/ besides the pod API:
// the model types its signatures use, the terminal helpers with which
// the command line drives the caller's own terminal (the API never sees a
// terminal), and du as the kubelet counts it (the CRI's filesystem usage).
var apiVocabulary = map[string]bool{"sandbox/model": true, "sandbox/termio": true, "sandbox/diskusage": true}

type pkg struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("go list's output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; expected all of the module's", len(pkgs))
	}
	return pkgs
}

// violations lists the imports of pkgs that break the layering.
func violations(pkgs []pkg) []string {
	level := map[string]int{}
	for i, l := range layers {
		for _, p := range l {
			level[p] = i
		}
	}
	var bad []string
	for _, p := range pkgs {
		from := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if from == "" {
			from = "."
		}
		lf, ok := level[from]
		if !ok {
			bad = append(bad, from+": in no layer (add it to test/arch's layers and to docs/architecture.md)")
			continue
		}
		imports := append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...)
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := strings.TrimPrefix(imp, module+"/")
			if to == from {
				continue // an external test of the same package
			}
			lt, ok := level[to]
			switch {
			case !ok:
				bad = append(bad, from+" imports "+to+", which is in no layer")
			case lt >= lf:
				bad = append(bad, from+" imports "+to+": a package imports only lower layers")
			}
			for _, a := range apiOnly {
				if from == a && strings.HasPrefix(to, "sandbox/") && !apiVocabulary[to] {
					bad = append(bad, from+" imports "+to+": use the pod API (package sandbox) instead")
				}
			}
		}
	}
	return bad
}

func TestLayers(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestLayersCatchWrongImports is the check's positive control: imports that
// run upward, sideways, to an unplaced package, or from a program past the
// pod API must each be reported.
func TestLayersCatchWrongImports(t *testing.T) {
	for _, tc := range []pkg{
		{ImportPath: module + "/sandbox/model", Imports: []string{module + "/sandbox/supervisor"}},
		{ImportPath: module + "/sandbox/stage", Imports: []string{module + "/sandbox/control"}},
		{ImportPath: module + "/sandbox/stage", TestImports: []string{module + "/sandbox"}},
		{ImportPath: module + "/sandbox/newthing"},
		{ImportPath: module + "/cmd/podctl", Imports: []string{module + "/sandbox/stage"}},
	} {
		if v := violations([]pkg{tc}); len(v) == 0 {
			t.Errorf("%s importing %v: not reported", tc.ImportPath, append(tc.Imports, tc.TestImports...))
		}
	}
	if v := violations([]pkg{{ImportPath: module + "/sandbox/supervisor", Imports: []string{module + "/sandbox/stage"}}}); len(v) != 0 {
		t.Errorf("a downward import reported: %v", v)
	}
}
