package e2e

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// kubeletBlog is the static pod of both kubelet tests (test/kubelet/run.sh
// reads it too).
//
//go:embed testdata/kubelet-blog.yaml
var kubeletBlog string

// TestCgroupV2Kubelet: a real kubelet (Kubernetes' v1.37, $KUBELET: make
// kubelet builds it, the VM gets it) runs, standalone (a static pod, no
// API server), against podctl's CRI server where cgroup v2 is real (the
// VM), as the user and as root:
//   - the kube-proxy example's two containers, as a static pod with a
//     hostPath for the proxy's configuration, become Ready by the
//     kubelet's own probes;
//   - the proxy answers on its hostPort with the page container's page;
//   - the page container's process killed, the kubelet starts it again
//     (restartCount 1) and the pod is Ready again;
//   - crictl sees the sandbox and containers the kubelet made.
//
// Rootless, the kubelet runs as rootless Kubernetes runs it (usernetes):
// in the node's namespaces, the user's shared network (--network bridge)
// with its mount namespace, where the kubelet is root, reaches the pods'
// addresses, and its fixed directories (/var/lib, /var/log) are tmpfs;
// with the KubeletInUserNamespace feature gate. test/kubelet/run.sh runs
// the same on the host's hybrid cgroups.
func TestCgroupV2Kubelet(t *testing.T) {
	requireCgroup2(t)
	kubelet := os.Getenv("KUBELET")
	if kubelet == "" || os.Getenv("CRICTL") == "" {
		t.Skip("set KUBELET (make kubelet) and CRICTL: the VM gets both when PODCTL_VM_BIN has them")
	}
	leakCheck(t)
	loadWebproxyImage(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	for _, d := range []string{"etc", "manifests", "logs", "root"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "etc", "proxy.conf"), []byte("listen :80\nupstream http://127.0.0.1:2368\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "manifests", "blog.yaml"), []byte(strings.ReplaceAll(kubeletBlog, "@ETC@", filepath.Join(dir, "etc"))), 0o644)
	s := startCRI(t, filepath.Join(dir, "cri.sock"), "--network", "bridge")
	t.Cleanup(func() { s.crictl("rmp", "-fa") })

	// As root, the kubelet makes its QoS and pod cgroups
	// (cgroupsPerQOS), and each sandbox's goes under its pod's
	// (cgroup_parent); rootless, the cgroups above the user's are not the
	// kubelet's to make.
	rootless := os.Getuid() != 0
	// inNode runs a command where the kubelet is: rootless, in the
	// shared network's user, network and mount namespaces.
	inNode := func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }
	config := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: %[1]s/manifests
containerRuntimeEndpoint: unix://%[1]s/cri.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: %[2]t
enforceNodeAllocatable: []
failSwapOn: false
address: 127.0.0.1
healthzBindAddress: 127.0.0.1
readOnlyPort: 10255
port: 10250
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
localStorageCapacityIsolation: false
podLogsDir: %[1]s/logs
resolvConf: ""
`, dir, !rootless)
	kubeletArgs := []string{kubelet, "--config", filepath.Join(dir, "config.yaml"), "--root-dir", filepath.Join(dir, "root"), "--hostname-override", "podctl-node"}
	if rootless {
		config += "featureGates: {KubeletInUserNamespace: true}\n"
		// The shared network lives while a pod on it does: this one
		// holds it for the kubelet, which lives in it from its start.
		mustRun(t, "run", "-d", "--name", "kubelet-net", "--network", "bridge", "localhost/podctl-example/webproxy:1", "serve", ":1", "x")
		t.Cleanup(func() { run(t, "rm", "-f", "kubelet-net") })
		holder := sharedNetworkHolder(t)
		inNode = func(args ...string) *exec.Cmd {
			return exec.Command("nsenter", append([]string{"-t", holder, "-U", "-n", "-m", "--preserve-credentials", "--"}, args...)...)
		}
		// The kubelet's fixed directories (/var/lib/kubelet,
		// /var/log/pods), which the user may not make: a tmpfs on /var,
		// in the node's mount namespace (it goes with it).
		kubeletArgs = append([]string{"sh", "-c", `mount -t tmpfs tmpfs /var && exec "$@"`, "sh"}, kubeletArgs...)
	} else {
		// A mount namespace of its own, where the kubelet's mounts (its
		// root directory made rshared) go with it.
		kubeletArgs = append([]string{"unshare", "-m", "--propagation", "private"}, kubeletArgs...)
	}
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config), 0o644)
	klog, _ := os.Create(filepath.Join(dir, "kubelet.log"))
	k := inNode(kubeletArgs...)
	k.Stdout, k.Stderr = klog, klog
	err := k.Start()
	klog.Close() // the kubelet has its own
	if err != nil {
		t.Fatalf("kubelet: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- k.Wait() }()
	stopKubelet := sync.OnceFunc(func() {
		k.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			k.Process.Kill()
			<-exited
		}
	})
	t.Cleanup(stopKubelet)
	fail := func(format string, a ...any) {
		t.Helper()
		b, _ := os.ReadFile(filepath.Join(dir, "kubelet.log"))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		var errs []string
		for _, l := range lines {
			if strings.HasPrefix(l, "E") || strings.HasPrefix(l, "F") {
				errs = append(errs, l)
			}
		}
		errs, lines = errs[max(0, len(errs)-30):], lines[max(0, len(lines)-15):]
		t.Fatalf(format+"\n--- server:\n%s\n--- kubelet's errors:\n%s\n--- kubelet's last lines:\n%s", append(a, s.log, strings.Join(errs, "\n"), strings.Join(lines, "\n"))...)
	}

	// status is the kubelet's own view of the pod (its read-only port):
	// "READY RESTARTS-OF-PAGE".
	status := func() string {
		out, err := inNode("wget", "-q", "-O", "-", "http://127.0.0.1:10255/pods").Output()
		if err != nil {
			return "unreachable"
		}
		var pods struct {
			Items []struct {
				Status struct {
					Conditions []struct {
						Type, Status string
					} `json:"conditions"`
					ContainerStatuses []struct {
						Name         string `json:"name"`
						RestartCount int    `json:"restartCount"`
					} `json:"containerStatuses"`
				} `json:"status"`
			} `json:"items"`
		}
		if json.Unmarshal(out, &pods) != nil || len(pods.Items) != 1 {
			return "no pod"
		}
		ready, restarts := "None", -1
		for _, c := range pods.Items[0].Status.Conditions {
			if c.Type == "Ready" {
				ready = c.Status
			}
		}
		for _, c := range pods.Items[0].Status.ContainerStatuses {
			if c.Name == "page" {
				restarts = c.RestartCount
			}
		}
		return fmt.Sprintf("%s %d", ready, restarts)
	}
	waitFor := func(want, what string) {
		t.Helper()
		got := ""
		for deadline := time.Now().Add(100 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			select {
			case err := <-exited:
				exited <- err
				fail("the kubelet exited: %v", err)
			default:
			}
			if got = status(); got == want {
				return
			}
		}
		fail("%s: the kubelet says %q, want %q", what, got, want)
	}
	waitFor("True 0", "the static pod did not become Ready")
	if ids := strings.Fields(s.must("pods", "--name", "blog", "-q", "--state", "ready")); len(ids) != 1 {
		t.Errorf("crictl pods --name blog --state ready: %v; want one", ids)
	}
	if ids := strings.Fields(s.must("ps", "-q", "--state", "running")); len(ids) != 2 {
		t.Errorf("crictl ps --state running: %v; want the proxy and the page", ids)
	}
	resp, err := http.Get("http://127.0.0.1:8888/")
	if err != nil {
		fail("the hostPort 8888: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(page)) != "Hello from the page container, through the proxy" {
		t.Errorf("hostPort 8888 answered %q", page)
	}

	// The kubelet's resource metrics of the pod (what the metrics
	// server and kubectl top read), from the containers' cgroups through
	// the CRI (ListContainerStats, ListPodSandboxStats): real here, where
	// the cgroups are. (Its /stats/summary fails in the VM, where the
	// kubelet's cadvisor finds no device for the image store's file
	// system on the initramfs.)
	last, ws := "", 0.0
	for deadline := time.Now().Add(60 * time.Second); ws == 0 && time.Now().Before(deadline); time.Sleep(time.Second) {
		out, err := inNode("wget", "-q", "-O", "-", "http://127.0.0.1:10255/metrics/resource").CombinedOutput()
		last = fmt.Sprintf("%v: %s", err, out)
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && strings.HasPrefix(f[0], "container_memory_working_set_bytes{") && strings.Contains(f[0], `container="page"`) {
				ws, _ = strconv.ParseFloat(f[1], 64)
			}
		}
	}
	if ws <= 0 {
		t.Errorf("the kubelet's /metrics/resource has no working set for the page container (its cgroup's memory, through the CRI):\n%.2000s", last)
	}

	// The page container's process, killed: by root of its user
	// namespace (rootless: the shared network's, the user's).
	pid := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), "serve\x00:2368\x00") {
			pid, _ = strconv.Atoi(strings.Split(p, "/")[2])
		}
	}
	if pid == 0 {
		fail("no process of the page container")
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid)); !rootless && !strings.HasPrefix(string(b), "0::/kubepods/") {
		t.Errorf("the page container's process is in cgroup %q; want under the kubelet's pod cgroup, /kubepods/...", b)
	}
	if rootless {
		if out, err := inNode("kill", "-9", strconv.Itoa(pid)).CombinedOutput(); err != nil {
			t.Fatalf("kill -9 %d in the shared user namespace: %v %s", pid, err, out)
		}
	} else {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	waitFor("True 1", "the killed container was not started again")
	if running, all := strings.Fields(s.must("ps", "-q", "--name", "page", "--state", "running")), strings.Fields(s.must("ps", "-a", "-q", "--name", "page")); len(running) != 1 || len(all) != 2 {
		t.Errorf("after the restart: page running %v, all %v; want attempt 1 running, attempt 0 exited", running, all)
	}
	stopKubelet()
}
