package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/test/imagebuild"
	"go.podman.io/storage/types"
)

// The image tests use the test user's own image store (podman's paths), with
// images named localhost/podctl-e2e/..., which each test removes.

// baseLayer is the busybox rootfs of TestMain as an image layer, with
// /data/owned owned by 101:101 (the ownership test).
func baseLayer(t *testing.T) []byte {
	t.Helper()
	l, err := imagebuild.DirLayer(rootfs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage is a busybox image named name with config cfg and, on top,
// a layer of extra entries (if any).
func testImage(t *testing.T, name string, cfg imagebuild.Config, extra ...imagebuild.Entry) imagebuild.Image {
	img := imagebuild.Image{Name: name, Config: cfg, Layers: [][]byte{baseLayer(t)}, Gzip: true}
	if len(extra) > 0 {
		img.Layers = append(img.Layers, imagebuild.Layer(extra))
	}
	return img
}

// loadImage writes img as format and loads it with podctl load; the image
// is removed when the test ends.
func loadImage(t *testing.T, img imagebuild.Image, format string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := img.Write(format, path); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "load", "-q", "-i", path); r.code != 0 {
		t.Fatalf("podctl load -i %s (%s): %d %s", path, format, r.code, r.stderr)
	}
	t.Cleanup(func() { run(t, "rmi", img.Name) })
}

// storeState is what the image store holds: images (ID and names),
// layer directories, and containers.
type storeState struct {
	images     map[string]string
	layers     []string
	containers int
}

func storeOptions(t *testing.T) types.StoreOptions {
	t.Helper()
	o, err := types.DefaultStoreOptions()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readStore(t *testing.T) storeState {
	t.Helper()
	st := storeState{images: map[string]string{}}
	r := run(t, "images", "--format", "json")
	if r.code != 0 {
		t.Fatalf("podctl images: %s", r.stderr)
	}
	var list []struct {
		ID    string   `json:"id"`
		Names []string `json:"names"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("podctl images --format json: %v: %s", err, r.stdout)
	}
	for _, i := range list {
		st.images[i.ID] = strings.Join(i.Names, ",")
	}
	o := storeOptions(t)
	for _, e := range listDir(filepath.Join(o.GraphRoot, "overlay")) {
		if len(e) == 64 {
			st.layers = append(st.layers, e)
		}
	}
	for _, f := range []string{"containers.json", "volatile-containers.json"} {
		b, _ := os.ReadFile(filepath.Join(o.GraphRoot, "overlay-containers", f))
		var cs []json.RawMessage
		json.Unmarshal(b, &cs)
		st.containers += len(cs)
	}
	return st
}

// sameStore fails the test unless the store is as it was.
func sameStore(t *testing.T, what string, before storeState) {
	t.Helper()
	after := readStore(t)
	if fmt.Sprint(after.images) != fmt.Sprint(before.images) {
		t.Errorf("%s: images %v -> %v", what, before.images, after.images)
	}
	if strings.Join(after.layers, ",") != strings.Join(before.layers, ",") {
		t.Errorf("%s: layers %d -> %d", what, len(before.layers), len(after.layers))
	}
	if after.containers != before.containers {
		t.Errorf("%s: store containers %d -> %d", what, before.containers, after.containers)
	}
}

func TestImageRunHonoursConfig(t *testing.T) {
	leakCheck(t)
	img := testImage(t, "localhost/podctl-e2e/config:1", imagebuild.Config{
		Entrypoint: []string{"/bin/echo", "ep"}, Cmd: []string{"default", "cmd"},
		Env:        []string{"PATH=/bin", "GREETING=from-image", "KEEP=1"},
		WorkingDir: "/work", User: "alice",
	})
	loadImage(t, img, "oci-archive")
	before := readStore(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"localhost/podctl-e2e/config:1"}, "ep default cmd"},
		{[]string{"localhost/podctl-e2e/config:1", "other"}, "ep other"},                                   // args replace Cmd
		{[]string{"--entrypoint", "/bin/sh", "localhost/podctl-e2e/config:1", "-c", "echo $0"}, "/bin/sh"}, // command replaces both
		{[]string{"--entrypoint", "/bin/sh", "podctl-e2e/config:1", "-c", "id -un; pwd; echo $GREETING $KEEP"}, // short name
			"alice\n/work\nfrom-image 1"},
		{[]string{"-e", "GREETING=flag", "-u", "0", "-w", "/tmp", "--entrypoint", "/bin/sh", "localhost/podctl-e2e/config:1", "-c", "id -u; pwd; echo $GREETING"},
			"0\n/tmp\nflag"},
	}
	for _, c := range cases {
		r := run(t, append([]string{"run", "--rm"}, c.args...)...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != c.want {
			t.Errorf("podctl run %v: code %d, stdout %q, want %q; stderr %s", c.args, r.code, r.stdout, c.want, r.stderr)
		}
	}
	// Every run --rm removed its container layer.
	sameStore(t, "after five run --rm", before)
}

func TestImageLayersAndOwnership(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/own:1"
	img := testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}},
		imagebuild.Entry{Path: "data/", Dir: true, UID: 101, GID: 101},
		imagebuild.Entry{Path: "data/owned", Body: "x\n", UID: 101, GID: 102, Mode: 0o640},
		imagebuild.Entry{Path: "etc/motd", Body: "image motd\n"})
	loadImage(t, img, "docker-archive")
	before := readStore(t)

	// Ownership survives unpacking: uid 101 in the image is uid 101 in the
	// container (the store unpacked it inside the pods' user namespace).
	r := run(t, "run", "--rm", name, "stat", "-c", "%u:%g %a", "/data/owned")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "101:102 640" {
		t.Fatalf("owner of /data/owned inside: %q (code %d, %s), want 101:102 640", r.stdout, r.code, r.stderr)
	}
	// ... and on the host it belongs to the subordinate id pod uid 101 maps to.
	if os.Getenv("PODCTL_EXPECT_SINGLE_MAP") == "" {
		want := 101
		if os.Getuid() != 0 {
			want = subIDBase(t) + 100
		}
		found := false
		for _, l := range readStore(t).layers {
			p := filepath.Join(storeOptions(t).GraphRoot, "overlay", l, "diff/data/owned")
			var st os.FileInfo
			if fi, err := os.Lstat(p); err == nil {
				st = fi
			} else {
				continue
			}
			found = true
			if uid := int(st.Sys().(*syscall.Stat_t).Uid); uid != want {
				t.Errorf("%s is owned by host uid %d, want %d", p, uid, want)
			}
		}
		if !found {
			t.Errorf("no layer of the store holds data/owned")
		}
	}

	// Each container writes to its own layer: the next one, and the
	// image, never see it.
	r = run(t, "run", "-d", "--name", "own-a", name, "sh", "-c", "echo changed > /etc/motd; touch /new; sleep 30")
	if r.code != 0 {
		t.Fatalf("run -d: %s", r.stderr)
	}
	defer run(t, "rm", "-f", "own-a")
	if n := readStore(t).containers; n != before.containers+1 {
		t.Errorf("a running container should have one layer in the store: %d -> %d", before.containers, n)
	}
	waitFor(t, func() bool {
		return strings.Contains(run(t, "exec", "own-a", "cat", "/etc/motd").stdout, "changed")
	})
	r = run(t, "run", "--rm", name, "sh", "-c", "cat /etc/motd; ls /new 2>&1 || true")
	if !strings.Contains(r.stdout, "image motd") || strings.Contains(r.stdout, "changed") || !strings.Contains(r.stdout, "No such file") {
		t.Errorf("a second container saw the first one's changes: %q", r.stdout)
	}
	if r := run(t, "rm", "-f", "own-a"); r.code != 0 {
		t.Fatalf("rm -f: %s", r.stderr)
	}
	sameStore(t, "after rm -f of a running image pod", before)
}

// subIDBase is the first subordinate uid of the test user.
func subIDBase(t *testing.T) int {
	f, err := os.Open("/etc/subuid")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) == 3 && (p[0] == os.Getenv("USER") || p[0] == strconv.Itoa(os.Getuid())) {
			n, _ := strconv.Atoi(p[1])
			return n
		}
	}
	t.Fatalf("no /etc/subuid range for %s", os.Getenv("USER"))
	return 0
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("timed out waiting")
}

func TestImageStopSignalAndPodRm(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/stopsig:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}, StopSignal: "SIGUSR1"}), "oci-archive")
	before := readStore(t)
	r := run(t, "run", "-d", "--name", "stopsig", name, "sh", "-c", `trap "echo got-usr1; exit 3" USR1; echo ready; while :; do sleep 0.1; done`)
	if r.code != 0 {
		t.Fatalf("run -d: %s", r.stderr)
	}
	waitFor(t, func() bool { return strings.Contains(run(t, "logs", "stopsig").stdout, "ready") })
	if r := run(t, "stop", "stopsig"); r.code != 0 {
		t.Fatalf("stop: %s", r.stderr)
	}
	if out := run(t, "logs", "stopsig").stdout; !strings.Contains(out, "got-usr1") {
		t.Errorf("podctl stop did not send the image's StopSignal (SIGUSR1): logs %q", out)
	}
	// A container added with --rm to a pod leaves no layer once it ends.
	if r := run(t, "pod", "create", "stopsig-pod"); r.code != 0 {
		t.Fatalf("pod create: %s", r.stderr)
	}
	defer run(t, "rm", "-f", "stopsig-pod")
	if r := run(t, "run", "--rm", "--pod", "stopsig-pod", name, "true"); r.code != 0 {
		t.Fatalf("run --rm --pod: %d %s", r.code, r.stderr)
	}
	if r := run(t, "rm", "stopsig"); r.code != 0 {
		t.Fatalf("rm: %s", r.stderr)
	}
	if r := run(t, "rm", "-f", "stopsig-pod"); r.code != 0 {
		t.Fatalf("rm -f: %s", r.stderr)
	}
	sameStore(t, "after stop and rm", before)
}

func TestImageGCSweepsOrphanLayers(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/gc:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}}), "oci-archive")
	before := readStore(t)
	if r := run(t, "run", "--name", "orphan", name, "true"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	if n := readStore(t).containers; n != before.containers+1 {
		t.Fatalf("an ended pod keeps its container's layer until rm: %d -> %d", before.containers, n)
	}
	// The pod's state is lost (as after a crash of its creator, or a user's
	// rm -r): gc finds the layer no pod knows.
	if err := os.RemoveAll(filepath.Join(stateDir(), "orphan")); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "gc"); r.code != 0 {
		t.Fatalf("gc: %s", r.stderr)
	}
	sameStore(t, "after gc", before)
}

// startRegistry runs Debian's docker-registry (distribution) on a free
// loopback port and returns host:port. extra is more of its config.yml.
func startRegistry(t *testing.T, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatalf("docker-registry not installed (apt-get install docker-registry): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: %s\n", dir, addr) +
		strings.Join(extra, "")
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	// Its access log goes to a file, shown if the test fails.
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	t.Cleanup(func() {
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("registry log:\n%s", b)
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && (resp.StatusCode == 200 || resp.StatusCode == 401)
	})
	return addr
}

func TestImageRegistryPushPull(t *testing.T) {
	leakCheck(t)
	reg := startRegistry(t)
	const name = "localhost/podctl-e2e/reg:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"echo", "pulled"}}), "oci-archive")
	remote := reg + "/podctl-e2e/reg:1"
	digestFile := filepath.Join(t.TempDir(), "digest")
	if r := run(t, "push", "-q", "--tls-verify=false", "--digestfile", digestFile, name, remote); r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	digest, err := os.ReadFile(digestFile)
	if err != nil || !strings.HasPrefix(string(digest), "sha256:") {
		t.Fatalf("push --digestfile: %q %v", digest, err)
	}
	before := readStore(t)
	// By tag.
	r := run(t, "pull", "--tls-verify=false", remote)
	if r.code != 0 {
		t.Fatalf("pull by tag: %s", r.stderr)
	}
	if !strings.Contains(r.stderr, "Copying config") {
		t.Errorf("pull without a terminal should report plain lines; stderr: %q", r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	defer run(t, "rmi", id)
	if r := run(t, "run", "--rm", remote); strings.TrimSpace(r.stdout) != "pulled" {
		t.Errorf("run of the pulled image: %q %s", r.stdout, r.stderr)
	}
	var details []struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(run(t, "image", "inspect", remote).stdout), &details)
	if len(details) != 1 || details[0].ID != id {
		t.Fatalf("image inspect %s: %v, want ID %s", remote, details, id)
	}
	// By digest, after removing it.
	if r := run(t, "rmi", remote); r.code != 0 {
		t.Fatalf("rmi: %s", r.stderr)
	}
	byDigest := reg + "/podctl-e2e/reg@" + string(digest)
	if r := run(t, "pull", "-q", "--tls-verify=false", byDigest); r.code != 0 || strings.TrimSpace(r.stdout) != id {
		t.Fatalf("pull by digest: %q %s (want ID %s)", r.stdout, r.stderr, id)
	}
	if r := run(t, "run", "--rm", byDigest); strings.TrimSpace(r.stdout) != "pulled" {
		t.Errorf("run by digest: %q %s", r.stdout, r.stderr)
	}
	if r := run(t, "rmi", byDigest); r.code != 0 {
		t.Errorf("rmi by digest: %s", r.stderr)
	}
	sameStore(t, "after pull and rmi", before)
	// A tag the registry does not have: one error, nothing stored.
	r = run(t, "pull", "--tls-verify=false", reg+"/podctl-e2e/reg:nope")
	if r.code == 0 || len(errorLines(r.stderr)) != 1 || !strings.Contains(r.stderr, "reg:nope") {
		t.Errorf("pull of a missing tag: code %d, stderr %q", r.code, r.stderr)
	}
	sameStore(t, "after a failed pull", before)
}

// rmi refuses an image a container uses (docs/images.md), names the user
// and the fix, and loses nothing: the image stays listed and the pod runs
// on. Once the pod is removed, rmi removes it.
func TestImageRmiInUse(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/inuse:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}}), "oci-archive")
	podRm(t, "inuse")
	mustRun(t, "run", "-d", "--name", "inuse", "--network", "none", name, "sleep", "1000")
	r := run(t, "rmi", name)
	if r.code == 0 || !strings.Contains(r.stderr, "is used by") || !strings.Contains(r.stderr, "inuse") || !strings.Contains(r.stderr, "podctl rm") {
		t.Errorf("rmi of an image in use: exit %d, %q; want a refusal naming the pod and the fix", r.code, r.stderr)
	}
	if out := mustRun(t, "images"); !strings.Contains(out, "localhost/podctl-e2e/inuse") {
		t.Errorf("the refused rmi lost the image:\n%s", out)
	}
	if st := state(t, "inuse"); st.Phase != model.PhaseRunning {
		t.Errorf("the pod after the refused rmi: %s", st.Phase)
	}
	mustRun(t, "rm", "-f", "inuse")
	if r := run(t, "rmi", name); r.code != 0 {
		t.Errorf("rmi once the pod is gone: %d %s", r.code, r.stderr)
	}
}

// podctl run --rm IMAGE in the foreground keeps the store helper that made
// the layer, to remove it when the pod ends (sandbox/layers,
// KeepStoreHelper); a kept helper that is gone by then (killed here; one
// that waited past its idle limit exits the same way) is replaced, and
// the layer is still removed.
func TestImageLayersRemovedWithoutKeptHelper(t *testing.T) {
	leakCheck(t)
	const name = "localhost/podctl-e2e/kept:1"
	img := testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}})
	loadImage(t, img, "oci-archive")
	before := readStore(t)
	cmd := exec.Command(podctl, "run", "--rm", "--network", "none", name, "sh", "-c", "echo up; sleep 30")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "up\n" {
		t.Fatalf("the pod said %q", line)
	}
	// The helper that made the layer is still there, podctl's child.
	helper := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		cl, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if len(f) > 1 && f[1] == strconv.Itoa(cmd.Process.Pid) && strings.Contains(string(cl), "__store-helper") {
			helper, _ = strconv.Atoi(filepath.Base(filepath.Dir(p)))
		}
	}
	if helper == 0 {
		t.Fatal("no store helper kept beside the running pod")
	}
	syscall.Kill(helper, syscall.SIGKILL)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err == nil {
		t.Error("podctl run ended with 0 after SIGTERM, want the workload's 143")
	}
	sameStore(t, "after run --rm whose kept helper was killed", before)
}

// A helper binary's command (podctl images, apply, pull, ...) is handed
// over by podctl's C constructor, before any Go runtime of podctl's
// starts (GODEBUG=inittrace=1 prints a line per runtime's own
// initializer; rootless, podctl-store starts a second one of its own, in
// the store's user namespace). The control: _PODCTL_NO_HANDOVER leaves it
// to podctl's Go, and one more runtime starts.
func TestHelperHandover(t *testing.T) {
	runtimes := func(env ...string) int {
		r := runEnv(t, append([]string{"GODEBUG=inittrace=1"}, env...), "", "images", "--format", "json")
		if r.code != 0 {
			t.Fatalf("podctl images %v: exit %d, %s", env, r.code, r.stderr)
		}
		return strings.Count(r.stderr, "init runtime @")
	}
	handed, viaGo := runtimes(), runtimes("_PODCTL_NO_HANDOVER=1")
	if handed < 1 || viaGo != handed+1 {
		t.Errorf("podctl images: %d Go runtimes handed over, %d through podctl's Go; want one fewer handed over", handed, viaGo)
	}
	// The same command line, either way.
	a, b := run(t, "images", "--format", "json"), runEnv(t, []string{"_PODCTL_NO_HANDOVER=1"}, "", "images", "--format", "json")
	if a.stdout != b.stdout || a.code != b.code {
		t.Errorf("handed over: %d %q; through Go: %d %q", a.code, a.stdout, b.code, b.stdout)
	}
}
