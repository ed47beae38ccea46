package e2e

import (
	"strings"
	"testing"
)

// stdin, stdinOnce and tty of a manifest, and podctl attach: the input
// reaches the container's stdin (the first session's end closes a
// stdinOnce one), a tty container reads and writes a pty of its own
// devpts, attach returns the run's exit code, and all of it survives the
// supervisor's hibernation (the keeper holds the stdin pipe and the pty).
func TestKubeAttach(t *testing.T) {
	leakCheck(t)
	loadKubeImage(t)
	t.Setenv("PODCTL_HIBERNATE_AFTER", "100ms")
	manifest := writeManifest(t, `
apiVersion: v1
kind: Pod
metadata: {name: katt}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: reader
    image: `+kubeImage+`
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "while read l; do echo \"got $l\"; echo \"err $l\" >&2; done; echo eof; exit 7"]
  - name: shell
    image: `+kubeImage+`
    stdin: true
    tty: true
    command: ["sh"]
  - name: quiet
    image: `+kubeImage+`
    command: ["sh", "-c", "read l; echo read:$l; exec sleep 1000"]
`)
	t.Cleanup(func() { run(t, "delete", "--grace-period=0", "-f", manifest) })
	mustRun(t, "apply", "-f", manifest)
	mustRun(t, "wait", "--for", "condition=Ready", "--timeout", "30s", "katt")
	sup := state(t, "katt").Supervisor.PID
	asleep := func() bool { return hibernated(sup) }
	eventually(t, "the supervisor to hibernate", asleep)

	// Without stdin: EOF from /dev/null at once, as in Kubernetes.
	eventually(t, "quiet to read end-of-file", func() bool { return mustRun(t, "logs", "-c", "quiet", "katt") == "read:\n" })
	r := run(t, "attach", "-i", "-c", "quiet", "katt")
	if r.code != 125 || !strings.Contains(r.stderr, "stdin: true") {
		t.Errorf("attach -i to a container without stdin: exit %d, %q", r.code, r.stderr)
	}

	// stdinOnce: our input, then end-of-file; attach exits with the
	// run's code, and stdout and stderr stay apart.
	r = runEnv(t, nil, "a\nb\n", "attach", "-i", "-c", "reader", "katt")
	if r.code != 7 || r.stdout != "got a\ngot b\neof\n" || r.stderr != "err a\nerr b\n" {
		t.Errorf("attach -i to the stdinOnce reader: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if c := ctr(t, state(t, "katt"), "reader"); c.State.Terminated == nil || c.State.Terminated.ExitCode != 7 {
		t.Errorf("reader after its stdin closed: %+v", c.State)
	}

	// tty: the shell's stdio is a pty of the container's devpts.
	eventually(t, "the supervisor to hibernate again", asleep)
	r = runEnv(t, nil, "tty; echo sum=$((6*7))\nexit 4\n", "attach", "-it", "-c", "shell", "katt")
	if r.code != 4 || !strings.Contains(r.stdout, "/dev/pts/0\r\n") || !strings.Contains(r.stdout, "sum=42\r\n") {
		t.Errorf("attach -it to the shell: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if log := mustRun(t, "logs", "-c", "shell", "katt"); !strings.Contains(log, "sum=42") {
		t.Errorf("the tty's output is not in the log: %q", log)
	}
	if r := run(t, "attach", "-c", "shell", "katt"); r.code != 125 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("attach to an ended container: exit %d, %q", r.code, r.stderr)
	}
	gen := mustRun(t, "generate", "kube", "katt")
	for _, want := range []string{"stdin: true", "stdinOnce: true", "tty: true"} {
		if !strings.Contains(gen, want) {
			t.Errorf("generate kube lost %q:\n%s", want, gen)
		}
	}
	mustRun(t, "delete", "--grace-period=0", "-f", manifest)
}

// podctl run -t / -it, and run -d -i / -t, make the same containers from
// the command line.
func TestRunDetachedAttach(t *testing.T) {
	leakCheck(t)
	podRm(t, "ratt")
	// In the foreground, -t gives the container a pty too, and -i drives it.
	if r := run(t, "run", "--rm", "-t", "--network", "none", "--rootfs", rootfs, "--", "tty"); r.code != 0 || r.stdout != "/dev/pts/0\r\n" {
		t.Errorf("run -t in the foreground: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r := runEnv(t, nil, "tty; exit 6\n", "run", "--rm", "-it", "--network", "none", "--rootfs", rootfs, "--", "sh")
	if r.code != 6 || !strings.Contains(r.stdout, "/dev/pts/0\r\n") {
		t.Errorf("run -it in the foreground: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "run", "-d", "-i", "--network", "none", "--name", "ratt", "--rootfs", rootfs, "--", "sh", "-c", "read l; echo got:$l; exit 3")
	r = runEnv(t, nil, "x\n", "attach", "-i", "ratt")
	if r.code != 3 || r.stdout != "got:x\n" {
		t.Errorf("attach -i: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "rm", "-f", "ratt")
}
