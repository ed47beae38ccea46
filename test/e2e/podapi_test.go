package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
)

// TestPodAPI drives the pod API in-process, as a CRI server will: ids
// beside names, labels and filters, a container created and started in two
// steps with a log path of the caller's, ExecSync (output, exit code,
// timeout, a missing command), a streaming Exec over plain readers and
// writers, StopContainer in a pod whose policy would restart it, and
// RemoveContainer.
func TestPodAPI(t *testing.T) {
	leakCheck(t)
	sandbox.Configure(sandbox.Settings{Podctl: podctl})
	ctx := context.Background()
	spec := model.PodSpec{Name: "api-pod", RestartPolicy: model.RestartAlways,
		Labels: map[string]string{"io.kubernetes.pod.namespace": "e2e", "io.kubernetes.pod.name": "api"}}
	if err := sandbox.CreatePod(ctx, spec, os.Stderr); err != nil {
		t.Fatalf("CreatePod: %v", err)
	}
	t.Cleanup(func() { sandbox.Remove(context.Background(), "api-pod", true) })

	pods, err := sandbox.ListPods(ctx, sandbox.Filter{Labels: map[string]string{"io.kubernetes.pod.name": "api"}})
	if err != nil || len(pods) != 1 || !model.IsID(pods[0].Spec.ID) || pods[0].Spec.Name != "api-pod" {
		t.Fatalf("ListPods by label = %v, %v; want api-pod with an id", pods, err)
	}
	podID := pods[0].Spec.ID
	if other, _ := sandbox.ListPods(ctx, sandbox.Filter{Labels: map[string]string{"io.kubernetes.pod.name": "other"}}); len(other) != 0 {
		t.Errorf("ListPods with a label no pod has: %d pods", len(other))
	}
	if st, _, err := model.Observe(podID); err != nil || st.Spec.Name != "api-pod" {
		t.Fatalf("the pod by its id: %v, %v", st, err)
	}

	logPath := filepath.Join(t.TempDir(), "web_0.log")
	id, err := sandbox.CreateContainer(ctx, podID, model.ContainerSpec{Name: "web", Rootfs: rootfs,
		Args: sh("echo started; exec sleep 1000"), LogPath: logPath, Labels: map[string]string{"app": "web"}})
	if err != nil || !model.IsID(id) {
		t.Fatalf("CreateContainer = %q, %v", id, err)
	}
	refs, err := sandbox.ListContainers(ctx, sandbox.Filter{ID: podID}, sandbox.Filter{Labels: map[string]string{"app": "web"}})
	if err != nil || len(refs) != 1 || refs[0].Container.Spec.ID != id {
		t.Fatalf("ListContainers by label = %v, %v", refs, err)
	}
	if !refs[0].Container.Created() {
		t.Fatalf("a created container is %s, want waiting (Created) until StartContainer", refs[0].Container.StateWord())
	}
	if err := sandbox.StartContainer(ctx, podID, id); err != nil {
		t.Fatalf("StartContainer: %v", err)
	}
	if err := sandbox.StartContainer(ctx, podID, id); err == nil {
		t.Errorf("a second StartContainer: no error")
	}
	if refs, _ := sandbox.ListContainers(ctx, sandbox.Filter{}, sandbox.Filter{ID: id, Running: true}); len(refs) != 1 {
		t.Fatalf("the started container is not running: %v", refs)
	}

	r, err := sandbox.ExecSync(ctx, "api-pod", "web", sh("echo out; echo err >&2; exit 3"), 10*time.Second)
	if err != nil || string(r.Stdout) != "out\n" || string(r.Stderr) != "err\n" || r.ExitCode != 3 {
		t.Errorf("ExecSync = %+v, %v; want out, err, 3", r, err)
	}
	if r, err := sandbox.ExecSync(ctx, podID, id, []string{"/no/such/command"}, 10*time.Second); err != nil || r.ExitCode != 127 {
		t.Errorf("ExecSync of a missing command = %+v, %v; want exit code 127", r, err)
	}
	if _, err := sandbox.ExecSync(ctx, podID, id, []string{"sleep", "100"}, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ExecSync past its timeout: %v; want context.DeadlineExceeded", err)
	}
	var out bytes.Buffer
	code, err := sandbox.Exec(ctx, podID, sandbox.ExecOptions{Container: id, Args: []string{"cat"},
		Stdin: strings.NewReader("through a reader"), Stdout: &out})
	if err != nil || code != 0 || out.String() != "through a reader" {
		t.Errorf("Exec with a reader and a writer = %d, %q, %v", code, out.String(), err)
	}

	// StopContainer: stopped for good, though the pod's policy is Always.
	if err := sandbox.StopContainer(ctx, podID, id, 5*time.Second); err != nil {
		t.Fatalf("StopContainer: %v", err)
	}
	time.Sleep(500 * time.Millisecond) // a restart (the first is immediate) would show by now
	st, _, err := model.Observe(podID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := model.FindContainer(st, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.State.Terminated == nil || c.RestartCount != 0 {
		t.Fatalf("after StopContainer the container is %v (restarts %d); want terminated, not restarted", c.StateWord(), c.RestartCount)
	}
	if !st.Pause.Alive() {
		t.Errorf("the pod's pause is gone after one container's stop; a pod of CreatePod lives until stopped")
	}
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), " stdout F started\n") {
		t.Errorf("the caller's log path holds %q, %v; want the CRI record of 'started'", b, err)
	}
	if err := sandbox.RemoveContainer(ctx, podID, id); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	if refs, _ := sandbox.ListContainers(ctx, sandbox.Filter{ID: podID}, sandbox.Filter{}); len(refs) != 0 {
		t.Errorf("after RemoveContainer the pod still has %d containers", len(refs))
	}

	// A cancelled context ends a wait at once.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	w, _ := sandbox.ParseWaitFor("phase=Succeeded")
	if _, err := sandbox.Wait(cancelled, podID, w, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context: %v", err)
	}
	if err := sandbox.Stop(ctx, podID, 0, time.Second); err != nil {
		t.Errorf("Stop by id: %v", err)
	}
	if err := sandbox.Remove(ctx, podID, false); err != nil {
		t.Errorf("Remove by id: %v", err)
	}
}
