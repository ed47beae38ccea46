package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --port-bypass: the workload's listener on a published TCP port is a
// socket of the host's network namespace (bound when the workload binds,
// through its seccomp listener), so the host reaches it with no forwarder
// and the workload sees the client's real address; a bind of an
// unpublished port stays in the pod; the socket listens before the
// workload has it, so it cannot connect from the host's namespace.
func TestPortBypass(t *testing.T) {
	leakCheck(t)
	port := freePort(t, "tcp")
	podRm(t, "bypass")
	mustRun(t, "run", "-d", "--name", "bypass", "--port-bypass", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port),
		"--rootfs", rootfs, "--", "sh", "-c", "nettool serve tcp 127.0.0.1:9999 & exec nettool serve tcp :8080")
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(stateDir(), "bypass", "supervisor.log"))
			t.Logf("supervisor.log: %s", log)
		}
	})
	if got := peerIP(t, ask(t, "tcp", port, "hello")); got != "127.0.0.1" {
		t.Errorf("the workload saw the client as %s, want 127.0.0.1", got)
	}

	// The listener is in the host's network namespace: in our own
	// /proc/net/tcp6 (Go listens on a dual-stack socket), a socket of the
	// workload's own process (with plain pasta it would be pasta's), and
	// not in the pod's.
	if !listenerOwnedBy(t, port, ctr(t, state(t, "bypass"), "").Proc.PID) {
		t.Errorf("the listener on port %d in the host's namespace is not the workload's", port)
	}
	podTCP := mustRun(t, "exec", "bypass", "--", "cat", "/proc/net/tcp", "/proc/net/tcp6")
	if strings.Contains(podTCP, ":1F90 ") {
		t.Errorf("port 8080 is open inside the pod too:\n%s", podTCP)
	}
	// An unpublished port binds in the pod, as without the flag.
	if a := mustRun(t, "exec", "bypass", "--", "nettool", "dial", "tcp", "127.0.0.1:9999", "inside"); !strings.Contains(a, "got=inside") {
		t.Errorf("the pod's own port 9999: %q", a)
	}
	log, _ := os.ReadFile(filepath.Join(stateDir(), "bypass", "supervisor.log"))
	if !strings.Contains(string(log), "bind of port 8080 made in the host's network namespace") {
		t.Errorf("supervisor.log does not say what it did: %q", log)
	}
	mustRun(t, "rm", "-f", "bypass")
	// The port is free again at once.
	mustRun(t, "run", "-d", "--name", "bypass", "--port-bypass", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port),
		"--rootfs", rootfs, "--", "nettool", "serve", "tcp", ":8080")
	if a := ask(t, "tcp", port, "again"); !strings.HasSuffix(a, "got=again") {
		t.Errorf("after re-creating: %q", a)
	}
	mustRun(t, "rm", "-f", "bypass")
	// A manifest's hostPort, with apply --port-bypass.
	loadKubeImage(t)
	manifest := writeManifest(t, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: kbypass}
spec:
  containers:
  - name: srv
    image: %s
    command: [nettool, serve, tcp, ":8080"]
    ports: [{containerPort: 8080, hostPort: %d, hostIP: 127.0.0.1}]
`, kubeImage, port))
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "--port-bypass", "-f", manifest)
	if got := peerIP(t, ask(t, "tcp", port, "manifest")); got != "127.0.0.1" {
		t.Errorf("apply --port-bypass: the workload saw the client as %s", got)
	}
	if !state(t, "kbypass").Spec.Network.PortBypass {
		t.Errorf("apply --port-bypass: the pod's spec does not say so")
	}
	if !listenerOwnedBy(t, port, ctr(t, state(t, "kbypass"), "srv").Proc.PID) {
		t.Errorf("apply --port-bypass: the listener on port %d in the host's namespace is not the workload's", port)
	}
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)
	// The control: without --port-bypass, pasta listens on the host's
	// port and forwards, and the check above says so.
	podRm(t, "nobypass")
	mustRun(t, "run", "-d", "--name", "nobypass", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port),
		"--rootfs", rootfs, "--", "nettool", "serve", "tcp", ":8080")
	ask(t, "tcp", port, "forwarded")
	if listenerOwnedBy(t, port, ctr(t, state(t, "nobypass"), "").Proc.PID) {
		t.Errorf("without --port-bypass the host's listener is the workload's: the check cannot tell")
	}
	mustRun(t, "rm", "-f", "nobypass")
	for _, bad := range [][]string{{"--network", "slirp4netns", "-p", "8080"}, {"-p", "8080/udp"}} {
		r := run(t, append(append([]string{"run", "--rm", "--port-bypass"}, bad...), "--rootfs", rootfs, "--", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, "--port-bypass") {
			t.Errorf("--port-bypass %v: exit %d, %q", bad, r.code, r.stderr)
		}
	}
}

// listenerOwnedBy tells whether a TCP socket listening on port in this
// (the host's) network namespace is one of pid's descriptors: the socket's
// inode, from /proc/net/tcp and tcp6 (proc(5)), among /proc/PID/fd.
func listenerOwnedBy(t *testing.T, port, pid int) bool {
	t.Helper()
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			// sl local_address rem_address st ... uid timeout inode
			if len(fields) > 9 && strings.HasSuffix(fields[1], fmt.Sprintf(":%04X", port)) && fields[3] == "0A" {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		t.Logf("no listener on port %d in the host's namespace", port)
		return false
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Logf("the workload's descriptors: %v", err)
		return false
	}
	for _, e := range ents {
		if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); inodes[l] {
			return true
		}
	}
	return false
}
