package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
)

// nestRecord reads the per-user namespace's record (sandbox/stage/nest.go).
func nestRecord(t *testing.T) (model.ProcRef, bool) {
	t.Helper()
	root, err := model.StateRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "userns.json"))
	if err != nil {
		return model.ProcRef{}, false
	}
	var rec struct {
		Holder model.ProcRef `json:"holder"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("userns.json: %v: %s", err, b)
	}
	return rec.Holder, true
}

func writeNestRecord(t *testing.T, content string) {
	t.Helper()
	root, _ := model.StateRoot()
	if err := os.WriteFile(filepath.Join(root, "userns.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// The per-user namespace: its holder, podctl-userns, is started by the
// first pod, used by the next (the same process, not podctl's child), and
// ends by itself once PODCTL_USERNS_LINGER seconds pass without a pod. Its
// record is untrusted input: a record naming another process of the user
// (one that SIGUSR1 would kill) or holding garbage makes podctl start a
// holder of its own, and the process it named is left alone.
func TestPerUserNamespace(t *testing.T) {
	if os.Getuid() == 0 || os.Getenv("PODCTL_EXPECT_SINGLE_MAP") != "" {
		t.Skip("only a user with a subordinate range needs the setuid helpers")
	}
	leakCheck(t)
	env := []string{"PODCTL_USERNS_LINGER=3"}
	pod := func(what string) model.ProcRef {
		t.Helper()
		r := runEnv(t, env, "", "run", "--rm", "--network", "none", "--rootfs", rootfs, "--", "true")
		if r.code != 0 {
			t.Fatalf("%s: %d %s", what, r.code, r.stderr)
		}
		h, ok := nestRecord(t)
		if !ok || !h.Alive() || comm(h.PID) != "podctl-userns" {
			t.Fatalf("%s: no live podctl-userns recorded: %+v ok=%v comm %q", what, h, ok, comm(h.PID))
		}
		return h
	}
	// Whatever an earlier test left, end it: this test counts lingers.
	if h, ok := nestRecord(t); ok {
		model.SignalProc(h, 15)
	}
	first := pod("first pod")
	if second := pod("second pod"); second != first {
		t.Errorf("the second pod started another holder: %+v, then %+v", first, second)
	}
	if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", first.PID)); strings.Contains(string(st), fmt.Sprintf(") S %d ", os.Getpid())) {
		t.Errorf("the holder is the caller's child: %s", st)
	}
	// It ends by itself: 3 s without a pod.
	deadline := time.Now().Add(15 * time.Second)
	for first.Alive() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if first.Alive() {
		t.Fatalf("podctl-userns %d still runs 15 s after its last pod, with PODCTL_USERNS_LINGER=3", first.PID)
	}

	// A record naming another process of ours, on this boot, with its
	// true start time: podctl must not take it for the holder (SIGUSR1
	// would end it).
	decoy := exec.Command("sleep", "60")
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { decoy.Process.Kill(); decoy.Wait() }()
	start, _ := model.ProcStartTime(decoy.Process.Pid)
	writeNestRecord(t, fmt.Sprintf(`{"holder":{"pid":%d,"startTime":%d},"bootID":%q}`, decoy.Process.Pid, start, model.BootID()))
	h := pod("a record naming a sleep")
	if h.PID == decoy.Process.Pid {
		t.Error("podctl kept a record naming a sleep")
	}
	if !(model.ProcRef{PID: decoy.Process.Pid, StartTime: start}).Alive() {
		t.Error("podctl signalled the process a bad record named")
	}
	for _, garbage := range []string{"{", `{"holder":{"pid":-1},"bootID":"x"}`, strings.Repeat(" ", 8192)} {
		writeNestRecord(t, garbage)
		pod(fmt.Sprintf("record %.20q", garbage))
	}
	// A FIFO in the record's place (only the user can put one there, but
	// a reader that opened it blocking would hang every pod start).
	root, _ := model.StateRoot()
	os.Remove(filepath.Join(root, "userns.json"))
	if err := syscall.Mkfifo(filepath.Join(root, "userns.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	pod("a FIFO for a record")
	// Off: no holder is started, and the pod is mapped all the same.
	if h, ok := nestRecord(t); ok {
		model.SignalProc(h, 15)
	}
	os.Remove(filepath.Join(root, "userns.json"))
	r := runEnv(t, []string{"PODCTL_USERNS_LINGER=0"}, "", "run", "--rm", "--network", "none", "--rootfs", rootfs, "--", "true")
	if _, ok := nestRecord(t); r.code != 0 || ok {
		t.Errorf("PODCTL_USERNS_LINGER=0: exit %d (%s), record made: %v", r.code, r.stderr, ok)
	}
	r = runEnv(t, []string{"PODCTL_USERNS_LINGER=soon"}, "", "run", "--rm", "--network", "none", "--rootfs", rootfs, "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "PODCTL_USERNS_LINGER") {
		t.Errorf("PODCTL_USERNS_LINGER=soon: exit %d, %q", r.code, r.stderr)
	}
}
