// Command cribench measures podctl's CRI server next to podctl's own command
// line (issue 21: the server must add little to the CLI's path), run by
// test/bench/run.sh as the bench user:
//
//   - a pod with one container until it runs: RunPodSandbox, CreateContainer
//     and StartContainer over the socket, against `podctl run -d IMAGE`;
//   - a command in it: ExecSync of /bin/true against `podctl exec`.
//
// The two alternate, after warm-up rounds, so drift hits both alike. It
// starts its own `podctl cri serve` (--network none, as the CLI's runs here)
// on a socket in a directory of its own, and removes every pod it made.
// Writes the samples as JSON (-out) and prints the medians and ratios.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	podctl := flag.String("podctl", "podctl", "the podctl binary (podctl-cri beside it)")
	image := flag.String("image", "", "an image in the store, with sleep and /bin/true")
	runs := flag.Int("runs", 20, "measured rounds")
	warmup := flag.Int("warmup", 3, "discarded rounds")
	out := flag.String("out", "", "where to write the samples (JSON)")
	flag.Parse()
	if *image == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: cribench -podctl PODCTL -image IMAGE -out FILE [-runs N] [-warmup N]")
		os.Exit(2)
	}
	if err := bench(*podctl, *image, *runs, *warmup, *out); err != nil {
		fmt.Fprintln(os.Stderr, "cribench:", err)
		os.Exit(1)
	}
}

// samples are milliseconds per measurement.
type samples struct {
	CRIStart []float64 `json:"criStart"`
	CLIStart []float64 `json:"cliStart"`
	CRIExec  []float64 `json:"criExec"`
	CLIExec  []float64 `json:"cliExec"`
}

func bench(podctl, image string, runs, warmup int, out string) error {
	dir, err := os.MkdirTemp("", "cribench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "cri.sock")
	srv := exec.Command(podctl, "cri", "serve", "--listen", "unix://"+sock, "--network", "none")
	srvLog, _ := os.Create(filepath.Join(dir, "server.log"))
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	ctx := context.Background()
	for i := 0; ; i++ {
		if _, err := rt.Version(ctx, &runtimeapi.VersionRequest{}); err == nil {
			break
		} else if i == 100 {
			b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return fmt.Errorf("the CRI server does not answer: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var s samples
	for i := 0; i < warmup+runs; i++ {
		criStart, criExec, err := criRound(ctx, rt, image, i)
		if err != nil {
			return err
		}
		cliStart, cliExec, err := cliRound(podctl, image, i)
		if err != nil {
			return err
		}
		if i >= warmup {
			s.CRIStart, s.CRIExec = append(s.CRIStart, criStart), append(s.CRIExec, criExec)
			s.CLIStart, s.CLIExec = append(s.CLIStart, cliStart), append(s.CLIExec, cliExec)
		}
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("pod + container until running: CRI %.1f ms, podctl run -d %.1f ms (%.2fx)\n",
		median(s.CRIStart), median(s.CLIStart), median(s.CRIStart)/median(s.CLIStart))
	fmt.Printf("exec /bin/true: CRI ExecSync %.1f ms, podctl exec %.1f ms (%.2fx)\n",
		median(s.CRIExec), median(s.CLIExec), median(s.CRIExec)/median(s.CLIExec))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// criRound makes, times and removes one sandbox with one container.
func criRound(ctx context.Context, rt runtimeapi.RuntimeServiceClient, image string, i int) (start, execMs float64, err error) {
	podCfg := &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: fmt.Sprintf("cribench-%d", i), Namespace: "bench", Uid: "b"}}
	t0 := time.Now()
	pod, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podCfg})
	if err != nil {
		return 0, 0, fmt.Errorf("RunPodSandbox: %w", err)
	}
	defer func() {
		rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod.PodSandboxId})
		rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId})
	}()
	ctr, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, SandboxConfig: podCfg,
		Config: &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "sleep"},
			Image: &runtimeapi.ImageSpec{Image: image}, Command: []string{"sleep", "1000"}}})
	if err != nil {
		return 0, 0, fmt.Errorf("CreateContainer: %w", err)
	}
	if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: ctr.ContainerId}); err != nil {
		return 0, 0, fmt.Errorf("StartContainer: %w", err)
	}
	start = ms(time.Since(t0))
	t0 = time.Now()
	r, err := rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: ctr.ContainerId, Cmd: []string{"/bin/true"}, Timeout: 30})
	if err != nil || r.ExitCode != 0 {
		return 0, 0, fmt.Errorf("ExecSync /bin/true: %v %v", r, err)
	}
	return start, ms(time.Since(t0)), nil
}

// cliRound does the same with podctl's command line.
func cliRound(podctl, image string, i int) (start, execMs float64, err error) {
	name := fmt.Sprintf("clibench-%d", i)
	t0 := time.Now()
	if out, err := exec.Command(podctl, "run", "-d", "--network", "none", "--name", name, image, "sleep", "1000").CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("podctl run -d: %v: %s", err, out)
	}
	start = ms(time.Since(t0))
	defer exec.Command(podctl, "rm", "-f", name).Run()
	t0 = time.Now()
	if out, err := exec.Command(podctl, "exec", name, "--", "/bin/true").CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("podctl exec: %v: %s", err, out)
	}
	return start, ms(time.Since(t0)), nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
