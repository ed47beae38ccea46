package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/test/imagebuild"
)

// The CRI server (podctl cri serve, bin/podctl-cri) driven by crictl
// ($CRICTL, cri-tools pinned in the Makefile, built from the Go module
// proxy), as a user would drive it before pointing a kubelet at it.

// criServer is a running podctl cri serve.
type criServer struct {
	t    *testing.T
	sock string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// criTest begins a CRI test: skipped without crictl, the leak oracle
// armed, a busybox image of that name loaded (with extra files, if any),
// and a server on a socket in a directory of the test's, which it
// returns too.
func criTest(t *testing.T, image string, extra ...imagebuild.Entry) (*criServer, string) {
	return criTestFlags(t, image, nil, extra...)
}

// criTestFlags is criTest with flags for the server.
func criTestFlags(t *testing.T, image string, flags []string, extra ...imagebuild.Entry) (*criServer, string) {
	t.Helper()
	if os.Getenv("CRICTL") == "" {
		t.Skip("set CRICTL to cri-tools' crictl (make crictl builds it; make test sets it)")
	}
	leakCheck(t)
	loadImage(t, testImage(t, image, imagebuild.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}}, extra...), "oci-archive")
	dir := t.TempDir()
	return startCRI(t, filepath.Join(dir, "cri.sock"), flags...), dir
}

// startCRI starts podctl cri serve on sock and waits until it answers.
func startCRI(t *testing.T, sock string, flags ...string) *criServer {
	t.Helper()
	s := &criServer{t: t, sock: sock, log: &bytes.Buffer{}}
	if !slices.ContainsFunc(flags, func(f string) bool { return strings.HasPrefix(f, "--cni-conf-dir") }) {
		// podctl's own network, whatever CNI configuration the machine
		// has (root's /etc/cni/net.d may hold podman's).
		flags = append(flags, "--cni-conf-dir", "")
	}
	s.cmd = exec.Command(podctl, append([]string{"cri", "serve", "--listen", "unix://" + sock}, flags...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("podctl cri serve: %v", err)
	}
	t.Cleanup(s.stop)
	for i := 0; ; i++ {
		if _, err := s.crictl("version"); err == nil {
			return s
		} else if i == 100 {
			t.Fatalf("podctl cri serve does not answer on %s: %v\n%s", sock, err, s.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server with SIGTERM, as a service manager does.
func (s *criServer) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		s.t.Errorf("podctl cri serve after SIGTERM: %v\n%s", err, s.log)
	}
}

// crictl runs crictl against the server; its standard output, or an error
// with its standard error.
func (s *criServer) crictl(args ...string) (string, error) {
	return s.crictlIn("", args...)
}

func (s *criServer) crictlIn(stdin string, args ...string) (string, error) {
	ep := "unix://" + s.sock
	cmd := exec.Command(os.Getenv("CRICTL"), append([]string{"-r", ep, "-i", ep, "--timeout", "60s"}, args...)...)
	cmd.Env = append(os.Environ(), "CRI_CONFIG_FILE=/dev/null")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("crictl %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// must is crictl that fails the test on error.
func (s *criServer) must(args ...string) string {
	s.t.Helper()
	out, err := s.crictl(args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// jsonOf runs crictl ... -o json and decodes its answer.
func (s *criServer) jsonOf(v any, args ...string) {
	s.t.Helper()
	out := s.must(append([]string{args[0], "-o", "json"}, args[1:]...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		s.t.Fatalf("crictl %v -o json: %v: %s", args, err, out)
	}
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type criStatus struct {
	Status struct {
		ID       string            `json:"id"`
		State    string            `json:"state"`
		ExitCode int               `json:"exitCode"`
		Reason   string            `json:"reason"`
		LogPath  string            `json:"logPath"`
		Labels   map[string]string `json:"labels"`
		Network  struct {
			IP string `json:"ip"`
		} `json:"network"`
		Annotations map[string]string `json:"annotations"`
		Metadata    struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	} `json:"status"`
}

// TestCRI drives a sandbox and its containers through crictl from start
// to removal: the runtime's identity and conditions, a sandbox with labels,
// annotations and a log directory, a container created and started in two
// steps, ExecSync and streaming exec (output, stdin, exit codes), its CRI
// log, stats, port-forward to a port inside the pod, attach, the server
// stopped and started again (every sandbox and container found as it
// was), podctl's own commands on the same pod, a sandbox whose containers
// have all exited taking the next attempt, stop, removal, and images.
// The leak oracle then finds nothing left of any of it.
func TestCRI(t *testing.T) {
	const image = "localhost/podctl-e2e/cri:latest"
	s, dir := criTest(t, image)
	sock := s.sock

	// One version everywhere: podctl's, as the CRI reports it.
	pv := strings.TrimPrefix(strings.TrimSpace(run(t, "--version").stdout), "podctl version ")
	if v := s.must("version"); !strings.Contains(v, "RuntimeName:  podctl") || !strings.Contains(v, "RuntimeApiVersion:  v1") ||
		pv == "" || !strings.Contains(v, "RuntimeVersion:  "+pv+"\n") {
		t.Errorf("crictl version:\n%s\nwant RuntimeName podctl, API v1 and podctl --version's %q", v, pv)
	}
	var info struct {
		Status struct {
			Conditions []struct {
				Type   string `json:"type"`
				Status bool   `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	}
	s.jsonOf(&info, "info")
	if len(info.Status.Conditions) != 2 || !info.Status.Conditions[0].Status || !info.Status.Conditions[1].Status {
		t.Errorf("crictl info: conditions %+v, want RuntimeReady and NetworkReady true", info.Status.Conditions)
	}

	logDir := filepath.Join(dir, "logs")
	os.Mkdir(logDir, 0o755)
	podCfg := writeJSON(t, filepath.Join(dir, "pod.json"), map[string]any{
		"metadata":      map[string]any{"name": "web", "namespace": "e2e", "uid": "uid-1", "attempt": 0},
		"hostname":      "web-host",
		"log_directory": logDir,
		"labels":        map[string]string{"app": "web"},
		"annotations":   map[string]string{"note": "kept"},
		"linux":         map[string]any{},
	})
	pod := s.must("runp", podCfg)
	t.Cleanup(func() { run(t, "rm", "-f", pod) }) // on a failure: nothing left for the leak oracle
	// Bad input: containerd's status codes, the field named, nothing left
	// behind (the leak oracle).
	if _, err := s.crictl("runp", podCfg); err == nil || !strings.Contains(err.Error(), "code = AlreadyExists") {
		t.Errorf("a second runp of the same metadata: %v; want AlreadyExists", err)
	}
	noImage := writeJSON(t, filepath.Join(dir, "noimage.json"), map[string]any{
		"metadata": map[string]any{"name": "noimage"}, "image": map[string]any{"image": "localhost/podctl-e2e/not-there:1"}})
	if _, err := s.crictl("create", pod, noImage, podCfg); err == nil || !strings.Contains(err.Error(), "code = NotFound") ||
		!strings.Contains(err.Error(), "not-there") {
		t.Errorf("create with an image not in the store: %v; want NotFound naming it", err)
	}
	if _, err := s.crictl("create", strings.Repeat("0", 64), noImage, podCfg); err == nil || !strings.Contains(err.Error(), "code = NotFound") {
		t.Errorf("create in a sandbox that does not exist: %v; want NotFound", err)
	}
	if _, err := s.crictl("runp", "--runtime", "kata", podCfg); err == nil || !strings.Contains(err.Error(), "runtime_handler") {
		t.Errorf("runp with an unknown runtime handler: %v; want the field named", err)
	}
	var ps criStatus
	s.jsonOf(&ps, "inspectp", pod)
	if st := ps.Status; st.State != "SANDBOX_READY" || st.Metadata.Name != "web" || st.Metadata.Namespace != "e2e" ||
		st.Labels["app"] != "web" || st.Annotations["note"] != "kept" || st.Network.IP == "" {
		t.Errorf("crictl inspectp: %+v; want READY, web/e2e, the label, the annotation and an IP", st)
	}
	for k := range ps.Status.Labels {
		if strings.HasPrefix(k, "podctl.io/") {
			t.Errorf("crictl inspectp shows podctl's own label %s", k)
		}
	}
	if ids := s.must("pods", "-q", "--label", "app=web"); ids != pod {
		t.Errorf("crictl pods --label app=web = %q, want %s", ids, pod)
	}
	if ids := s.must("pods", "-q", "--label", "app=other"); ids != "" {
		t.Errorf("crictl pods --label app=other = %q, want none", ids)
	}
	if r := run(t, "ps"); !strings.Contains(r.stdout, "web-") {
		t.Errorf("podctl ps does not show the CRI's pod:\n%s", r.stdout)
	}

	ctrCfg := writeJSON(t, filepath.Join(dir, "box.json"), map[string]any{
		"metadata": map[string]any{"name": "box"},
		"image":    map[string]any{"image": image},
		"command":  sh("echo started; echo to-stderr >&2; while true; do echo pong | nc -l -p 8080; done"),
		"log_path": "box_0.log",
		"labels":   map[string]string{"role": "server"},
	})
	ctr := s.must("create", pod, ctrCfg, podCfg)
	var cs criStatus
	if s.jsonOf(&cs, "inspect", ctr); cs.Status.State != "CONTAINER_CREATED" {
		t.Errorf("a created container is %s, want CONTAINER_CREATED", cs.Status.State)
	}
	s.must("start", ctr)
	if s.jsonOf(&cs, "inspect", ctr); cs.Status.State != "CONTAINER_RUNNING" || cs.Status.LogPath != filepath.Join(logDir, "box_0.log") {
		t.Errorf("a started container: %+v; want CONTAINER_RUNNING with its log in the log directory", cs.Status)
	}
	if ids := s.must("ps", "-q", "--label", "role=server"); ids != ctr {
		t.Errorf("crictl ps --label role=server = %q, want %s", ids, ctr)
	}

	if out, err := s.crictl("exec", "-s", ctr, "sh", "-c", "echo out"); err != nil || strings.TrimSpace(out) != "out" {
		t.Errorf("crictl exec -s echo out = %q, %v", out, err)
	}
	// crictl shows a failed command's stderr, not its stdout.
	if _, err := s.crictl("exec", "-s", ctr, "sh", "-c", "echo out; echo err >&2; exit 3"); err == nil ||
		!strings.Contains(err.Error(), "exited with 3: err") {
		t.Errorf("crictl exec -s (exit 3): %v; want exited with 3 and its stderr", err)
	}
	if out, err := s.crictlIn("piped\n", "exec", "-i", ctr, "cat"); err != nil || out != "piped\n" {
		t.Errorf("crictl exec -i cat = %q, %v; want the input back", out, err)
	}
	if _, err := s.crictl("exec", ctr, "sh", "-c", "exit 4"); err == nil || !strings.Contains(err.Error(), "exit code 4") {
		t.Errorf("crictl exec (exit 4): %v; want exit code 4", err)
	}
	for i := 0; ; i++ {
		logs, _ := s.crictl("logs", ctr)
		if strings.Contains(logs, "started") {
			break
		} else if i == 50 {
			t.Fatalf("crictl logs: %q; want the container's output", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b, err := os.ReadFile(filepath.Join(logDir, "box_0.log")); err != nil || !bytes.Contains(b, []byte(" stderr F to-stderr\n")) {
		t.Errorf("the CRI log %s: %q, %v; want CRI-format lines", filepath.Join(logDir, "box_0.log"), b, err)
	}
	var stats struct {
		Stats []struct {
			Attributes struct {
				ID string `json:"id"`
			} `json:"attributes"`
		} `json:"stats"`
	}
	if s.jsonOf(&stats, "stats", "--id", ctr); len(stats.Stats) != 1 || stats.Stats[0].Attributes.ID != ctr {
		t.Errorf("crictl stats --id: %+v", stats)
	}
	criMetrics(t, s, pod, ctr)
	criPortForward(t, s, pod)
	criAttach(t, s, pod, podCfg, dir, image)

	// A server stopped and started again finds everything as it was.
	s.stop()
	s = startCRI(t, sock)
	if s.jsonOf(&cs, "inspect", ctr); cs.Status.State != "CONTAINER_RUNNING" {
		t.Errorf("after the server's restart the container is %s, want CONTAINER_RUNNING", cs.Status.State)
	}
	if r := run(t, "exec", "-c", ctr, ps.Status.ID, "--", "cat", "/etc/hostname"); r.code != 0 || r.stdout != "web-host\n" {
		t.Errorf("podctl exec into the CRI's container: %d %q %s", r.code, r.stdout, r.stderr)
	}

	s.must("stop", "-t", "5", ctr)
	if s.jsonOf(&cs, "inspect", ctr); cs.Status.State != "CONTAINER_EXITED" {
		t.Errorf("a stopped container is %s, want CONTAINER_EXITED", cs.Status.State)
	}
	// Every container has exited: the sandbox stays ready, and takes the
	// kubelet's next attempt of the container (its restart).
	if s.jsonOf(&ps, "inspectp", pod); ps.Status.State != "SANDBOX_READY" {
		t.Errorf("a sandbox whose containers have all exited is %s, want SANDBOX_READY until it is stopped", ps.Status.State)
	}
	again := writeJSON(t, filepath.Join(dir, "box1.json"), map[string]any{
		"metadata": map[string]any{"name": "box", "attempt": 1},
		"image":    map[string]any{"image": image},
		"command":  sh("exec sleep 1000"),
		"log_path": "box_1.log",
	})
	ctr1 := s.must("create", pod, again, podCfg)
	s.must("start", ctr1)
	if s.jsonOf(&cs, "inspect", ctr1); cs.Status.State != "CONTAINER_RUNNING" {
		t.Errorf("attempt 1 of box is %s, want CONTAINER_RUNNING", cs.Status.State)
	}
	s.must("stopp", pod)
	if s.jsonOf(&cs, "inspect", ctr1); cs.Status.State != "CONTAINER_EXITED" {
		t.Errorf("after stopp attempt 1 of box is %s, want CONTAINER_EXITED", cs.Status.State)
	}
	s.must("rm", ctr1)
	if s.jsonOf(&ps, "inspectp", pod); ps.Status.State != "SANDBOX_NOTREADY" {
		t.Errorf("a stopped sandbox is %s, want SANDBOX_NOTREADY", ps.Status.State)
	}
	s.must("rm", ctr) // after the sandbox's stop, as the kubelet does
	if ids := s.must("ps", "-a", "-q"); ids != "" {
		t.Errorf("crictl ps -a after rm: %q", ids)
	}
	if _, err := s.crictl("inspect", ctr1); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("crictl inspect of a removed container: %v; want NotFound", err)
	}
	s.must("rmp", pod)
	if ids := s.must("pods", "-q"); ids != "" {
		t.Errorf("crictl pods after rmp: %q", ids)
	}
	// The server looked both up by id many times: what it remembers of
	// them must not outlive them.
	if _, err := s.crictl("inspectp", pod); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Errorf("crictl inspectp of a removed sandbox: %v; want NotFound", err)
	}

	if imgs := s.must("images"); !strings.Contains(imgs, "localhost/podctl-e2e/cri") {
		t.Errorf("crictl images does not list %s:\n%s", image, imgs)
	}
	var fs struct {
		Status struct {
			ImageFilesystems []struct {
				UsedBytes struct {
					Value string `json:"value"`
				} `json:"usedBytes"`
			} `json:"imageFilesystems"`
		} `json:"status"`
	}
	if s.jsonOf(&fs, "imagefsinfo"); len(fs.Status.ImageFilesystems) != 1 || fs.Status.ImageFilesystems[0].UsedBytes.Value == "0" {
		t.Errorf("crictl imagefsinfo: %+v", fs)
	}
	s.must("rmi", image)
	if _, err := s.crictl("inspecti", image); err == nil {
		t.Errorf("crictl inspecti after rmi: the image is still there")
	}
}

// criPortForward: crictl port-forward reaches a port the container listens
// on inside the pod's network namespace.
func criPortForward(t *testing.T, s *criServer, pod string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ep := "unix://" + s.sock
	pf := exec.Command(os.Getenv("CRICTL"), "-r", ep, "-i", ep, "port-forward", pod, fmt.Sprintf("%d:8080", port))
	pf.Env = append(os.Environ(), "CRI_CONFIG_FILE=/dev/null")
	var pflog bytes.Buffer
	pf.Stdout, pf.Stderr = &pflog, &pflog
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { pf.Process.Kill(); pf.Wait() }()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.SetDeadline(time.Now().Add(30 * time.Second))
			b := make([]byte, 16)
			n, _ := c.Read(b)
			c.Close()
			if string(b[:n]) == "pong\n" {
				return
			}
		}
		if i == 100 {
			t.Errorf("crictl port-forward %s %d:8080: no pong from the pod (%v)\n%s", pod, port, err, pflog.String())
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// criAttach: crictl attach -i feeds a container's stdin and shows its
// output.
func criAttach(t *testing.T, s *criServer, pod, podCfg, dir, image string) {
	t.Helper()
	cfg := writeJSON(t, filepath.Join(dir, "reader.json"), map[string]any{
		"metadata": map[string]any{"name": "reader"},
		"image":    map[string]any{"image": image},
		"command":  sh("read line; echo got:$line"),
		"stdin":    true, "stdin_once": true,
		"log_path": "reader_0.log",
	})
	ctr := s.must("create", pod, cfg, podCfg)
	s.must("start", ctr)
	out, err := s.crictlIn("hello\n", "attach", "-i", ctr)
	if err != nil || !strings.Contains(out, "got:hello") {
		t.Errorf("crictl attach -i = %q, %v; want got:hello", out, err)
	}
	for i := 0; ; i++ {
		var cs criStatus
		if s.jsonOf(&cs, "inspect", ctr); cs.Status.State == "CONTAINER_EXITED" && cs.Status.ExitCode == 0 {
			break
		} else if i == 100 {
			t.Errorf("the reader after its input: %+v; want exited with 0", cs.Status)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.must("rm", ctr)
}

// criMetrics: the metric descriptors and the pod's series (crictl
// metricdescs, metricsp): every series described, with as many labels as
// its descriptor has keys; the container's own series and the pod's
// network's are there, and its start time is the container's.
func criMetrics(t *testing.T, s *criServer, pod, ctr string) {
	t.Helper()
	var descs struct {
		Descriptors []struct {
			Name      string   `json:"name"`
			LabelKeys []string `json:"labelKeys"`
		} `json:"descriptors"`
	}
	s.jsonOf(&descs, "metricdescs")
	keys := map[string]int{}
	for _, d := range descs.Descriptors {
		keys[d.Name] = len(d.LabelKeys)
	}
	var ms criSeries
	s.jsonOf(&ms, "metricsp")
	seen := map[string]bool{}
	for _, p := range ms.PodMetrics {
		if p.PodSandboxID != pod {
			continue
		}
		for _, m := range p.Metrics {
			seen[m.Name] = true
			if keys[m.Name] != len(m.LabelValues) {
				t.Errorf("pod series %s: %d labels, its descriptor %d keys", m.Name, len(m.LabelValues), keys[m.Name])
			}
		}
		for _, c := range p.ContainerMetrics {
			for _, m := range c.Metrics {
				seen[m.Name] = seen[m.Name] || c.ContainerID == ctr
				if keys[m.Name] != len(m.LabelValues) {
					t.Errorf("container series %s: %d labels, its descriptor %d keys", m.Name, len(m.LabelValues), keys[m.Name])
				}
				if m.Name == "container_start_time_seconds" && (m.Value.Value == "" || m.Value.Value == "0") {
					t.Errorf("container_start_time_seconds = %q", m.Value.Value)
				}
			}
		}
	}
	for _, name := range []string{"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_fs_usage_bytes",
		"container_start_time_seconds", "container_network_receive_bytes_total"} {
		if keys[name] == 0 || !seen[name] {
			t.Errorf("series %s: described %v, given for the pod's container %v", name, keys[name] > 0, seen[name])
		}
	}
}

// criSeries is crictl metricsp -o json: each pod's series and its
// containers' (protojson writes the uint64 values as strings).
type criSeries struct {
	PodMetrics []struct {
		PodSandboxID     string      `json:"podSandboxId"`
		Metrics          []criMetric `json:"metrics"`
		ContainerMetrics []struct {
			ContainerID string      `json:"containerId"`
			Metrics     []criMetric `json:"metrics"`
		} `json:"containerMetrics"`
	} `json:"podMetrics"`
}

type criMetric struct {
	Name        string   `json:"name"`
	LabelValues []string `json:"labelValues"`
	Value       struct {
		Value string `json:"value"`
	} `json:"value"`
}

// containerSeries is one container's series, by name (the first value of
// each).
func (m *criSeries) containerSeries(ctr string) map[string]string {
	out := map[string]string{}
	for _, p := range m.PodMetrics {
		for _, c := range p.ContainerMetrics {
			for _, x := range c.Metrics {
				if _, ok := out[x.Name]; !ok && c.ContainerID == ctr {
					out[x.Name] = x.Value.Value
				}
			}
		}
	}
	return out
}
