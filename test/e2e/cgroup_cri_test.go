package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCgroupV2CRI: what the CRI server does with a delegated cgroup v2
// hierarchy (in the VM): a container's limits in its cgroup, changed in
// place by UpdateContainerResources (crictl update), its stats from the
// cgroup, and a container killed by the OOM killer reported as the
// kubelet reads it (exit code 137, reason OOMKilled); the metrics RPCs
// read the same cgroup.
func TestCgroupV2CRI(t *testing.T) {
	requireCgroup2(t)
	const image = "localhost/podctl-e2e/cri-cg:latest"
	s, dir := criTest(t, image)
	podCfg := writeJSON(t, filepath.Join(dir, "pod.json"), map[string]any{
		"metadata": map[string]any{"name": "cg", "namespace": "e2e", "uid": "cg"}})
	pod := s.must("runp", podCfg)
	t.Cleanup(func() { run(t, "rm", "-f", pod) })
	create := func(name string, cmd []string, memory int) string {
		cfg := writeJSON(t, filepath.Join(dir, name+".json"), map[string]any{
			"metadata": map[string]any{"name": name}, "image": map[string]any{"image": image}, "command": cmd,
			"linux": map[string]any{"resources": map[string]any{"memory_limit_in_bytes": memory}}})
		return s.must("create", pod, cfg, podCfg)
	}
	ctr := create("limited", []string{"sleep", "1000"}, 32<<20)
	s.must("start", ctr)
	memMax := func() string {
		out, err := s.crictl("exec", "-s", ctr, "cat", "/sys/fs/cgroup/memory.max")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	if got := memMax(); got != "33554432" {
		t.Errorf("memory.max of a container with memory_limit_in_bytes 32 MiB: %q", got)
	}
	s.must("update", "--memory", "67108864", ctr)
	if got := memMax(); got != "67108864" {
		t.Errorf("memory.max after crictl update --memory 64 MiB: %q", got)
	}
	var stats struct {
		Stats []struct {
			Memory struct {
				WorkingSetBytes struct {
					Value string `json:"value"`
				} `json:"workingSetBytes"`
			} `json:"memory"`
		} `json:"stats"`
	}
	s.jsonOf(&stats, "stats", "--id", ctr)
	if len(stats.Stats) != 1 || stats.Stats[0].Memory.WorkingSetBytes.Value == "" || stats.Stats[0].Memory.WorkingSetBytes.Value == "0" {
		t.Errorf("crictl stats of a container with a cgroup: %+v; want its memory in use", stats)
	}

	// The metrics RPCs read the same cgroup: memory in use, the limit.
	var ms struct {
		PodMetrics []struct {
			ContainerMetrics []struct {
				ContainerID string `json:"containerId"`
				Metrics     []struct {
					Name  string `json:"name"`
					Value struct {
						Value string `json:"value"`
					} `json:"value"`
				} `json:"metrics"`
			} `json:"containerMetrics"`
		} `json:"podMetrics"`
	}
	s.jsonOf(&ms, "metricsp")
	got := map[string]string{}
	for _, p := range ms.PodMetrics {
		for _, c := range p.ContainerMetrics {
			for _, m := range c.Metrics {
				if c.ContainerID == ctr {
					got[m.Name] = m.Value.Value
				}
			}
		}
	}
	if v := got["container_memory_usage_bytes"]; v == "" || v == "0" || got["container_threads"] == "0" {
		t.Errorf("metricsp of a container with a cgroup: memory %q, threads %q; want them from its cgroup", v, got["container_threads"])
	}

	// dd's 64 MiB buffer cannot fit in 16 MiB.
	oom := create("oom", []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=4"}, 16<<20)
	s.must("start", oom)
	var st criStatus
	// Emulated (the VM): give the kernel time.
	for i := 0; i < 600 && st.Status.State != "CONTAINER_EXITED"; i++ {
		time.Sleep(100 * time.Millisecond)
		s.jsonOf(&st, "inspect", oom)
	}
	if st.Status.ExitCode != 137 || st.Status.Reason != "OOMKilled" {
		t.Errorf("a container killed by the OOM killer: exit %d, reason %q; want 137, OOMKilled", st.Status.ExitCode, st.Status.Reason)
	}
	s.must("rmp", "-f", pod)
}
