package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/cgroups"
)

// TestCgroupV2CRI: what the CRI server does with a delegated cgroup v2
// hierarchy (in the VM): a container's limits in its cgroup, changed in
// place by UpdateContainerResources (crictl update), its stats from the
// cgroup, and a container killed by the OOM killer reported as the
// kubelet reads it (exit code 137, reason OOMKilled); the metrics RPCs
// read the same cgroup.
func TestCgroupV2CRI(t *testing.T) {
	d := requireCgroup2(t)
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
	var ms criSeries
	s.jsonOf(&ms, "metricsp")
	got := ms.containerSeries(ctr)
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

	// hostPID: the host's processes in the container's /proc (the CRI
	// server's among them), not in a plain pod's (the control); a process
	// the container leaves in the background ends with the pod, by its
	// cgroup (the leak oracle checks).
	hostCfg := writeJSON(t, filepath.Join(dir, "hostpid.json"), map[string]any{
		"metadata": map[string]any{"name": "hostpid", "namespace": "e2e", "uid": "hostpid"},
		"linux":    map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"pid": 2}}}})
	hostPod := s.must("runp", hostCfg)
	t.Cleanup(func() { run(t, "rm", "-f", hostPod) })
	hcfg := writeJSON(t, filepath.Join(dir, "hostpid-c.json"), map[string]any{
		"metadata": map[string]any{"name": "c"}, "image": map[string]any{"image": image},
		"command": []string{"sh", "-c", "(sleep 1000 &); exec sleep 1000"},
		"linux":   map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"pid": 2}}}})
	hctr := s.must("create", hostPod, hcfg, hostCfg)
	s.must("start", hctr)
	server := fmt.Sprint(s.cmd.Process.Pid)
	if out, err := s.crictl("exec", "-s", hctr, "cat", "/proc/"+server+"/comm"); err != nil || !strings.Contains(out, "podctl") {
		t.Errorf("hostPID: /proc/%s (the CRI server) in the container: %q, %v", server, out, err)
	}
	pod = s.must("runp", podCfg) // create's
	plain := create("plain", []string{"sleep", "1000"}, 32<<20)
	s.must("start", plain)
	if out, err := s.crictl("exec", "-s", plain, "cat", "/proc/"+server+"/comm"); err == nil && strings.Contains(out, "podctl") {
		t.Errorf("a pod of its own PID namespace sees the CRI server's process %s: %q", server, out)
	}
	s.must("rmp", "-f", pod)
	s.must("rmp", "-f", hostPod)

	// cgroup_parent (the kubelet's pod cgroup, with cgroupsPerQOS): the
	// pod's cgroup is made under it, inside the delegation, and the
	// container's process is there; one outside the delegation is
	// refused by name (rootless: the cgroups above yours are not yours).
	parent := strings.TrimPrefix(d.Path, cgroups.Mountpoint) + "/kubepods-e2e/pod-e2e"
	t.Cleanup(func() {
		os.Remove(filepath.Join(cgroups.Mountpoint, parent))
		os.Remove(filepath.Dir(filepath.Join(cgroups.Mountpoint, parent)))
	})
	parentCfg := writeJSON(t, filepath.Join(dir, "parent.json"), map[string]any{
		"metadata": map[string]any{"name": "parent", "namespace": "e2e", "uid": "parent"}, "linux": map[string]any{"cgroup_parent": parent}})
	parentPod := s.must("runp", parentCfg)
	t.Cleanup(func() { run(t, "rm", "-f", parentPod) })
	pc := writeJSON(t, filepath.Join(dir, "parent-c.json"), map[string]any{
		"metadata": map[string]any{"name": "c"}, "image": map[string]any{"image": image}, "command": []string{"sleep", "1000"}})
	pctr := s.must("create", parentPod, pc, parentCfg)
	s.must("start", pctr)
	var info struct {
		Info struct {
			Pid int `json:"pid"`
		} `json:"info"`
	}
	s.jsonOf(&info, "inspect", pctr)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", info.Info.Pid)); err != nil || !strings.HasPrefix(string(b), "0::"+parent+"/") {
		t.Errorf("a container of a sandbox with cgroup_parent %s is in %q (%v); want under it", parent, b, err)
	}
	s.must("rmp", "-f", parentPod)
	if os.Getuid() != 0 {
		outside := writeJSON(t, filepath.Join(dir, "outside.json"), map[string]any{
			"metadata": map[string]any{"name": "outside", "namespace": "e2e", "uid": "outside"}, "linux": map[string]any{"cgroup_parent": "/kubepods-e2e"}})
		if _, err := s.crictl("runp", outside); err == nil || !strings.Contains(err.Error(), "not in the cgroups delegated to you") {
			t.Errorf("runp with a cgroup_parent outside the delegation: %v; want the refusal saying so", err)
		}
	}
}
