package cri

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The CRI's metrics RPCs (ListMetricDescriptors, ListPodSandboxMetrics)
// give the kubelet the cadvisor series of /metrics/cadvisor when it takes
// its stats from the runtime (PodAndContainerStatsFromCRI). podctl reads
// them where cadvisor does: the container's cgroup v2 files (cpu.stat,
// memory.stat, memory.events, memory.swap.current, pids), the pod's
// network namespace's interfaces (/proc/PID/net/dev), the container's
// writable layer (as du counts it, usage.go) and its spec. A value that
// has no source (a pod without a cgroup, where cgroup v2 is not delegated
// to the user; an interface table podctl may not read) is 0, as the stats
// RPCs' are. The CRI carries integers: seconds are whole seconds, as
// CRI-O reports them.

// ctrLabels are every container series' first labels, cadvisor's.
var ctrLabelKeys = []string{"container", "id", "image", "name", "namespace", "pod"}

// metric describes one series: its extra label keys after ctrLabelKeys,
// and where its values come from.
type metric struct {
	name, help string
	gauge      bool
	extra      []string
	values     func(s *ctrSample) []metricValue
}

type metricValue struct {
	extra []string
	value uint64
}

// one is a series with a single value and no extra label.
func one(v uint64) []metricValue { return []metricValue{{value: v}} }

// containerMetrics are the series of each container.
var containerMetrics = []metric{
	{"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", false, []string{"cpu"},
		func(s *ctrSample) []metricValue { return []metricValue{{[]string{"total"}, s.cpu["usage_usec"] / 1e6}} }},
	{"container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.cpu["user_usec"] / 1e6) }},
	{"container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.cpu["system_usec"] / 1e6) }},
	{"container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.cpu["nr_periods"]) }},
	{"container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.cpu["nr_throttled"]) }},
	{"container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.cpu["throttled_usec"] / 1e6) }},
	{"container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.memCurrent) }},
	{"container_memory_working_set_bytes", "Current working set in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.memCurrent - min(s.memCurrent, s.mem["inactive_file"])) }},
	{"container_memory_rss", "Size of RSS in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.mem["anon"]) }},
	{"container_memory_cache", "Number of bytes of page cache memory.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.mem["file"]) }},
	{"container_memory_mapped_file", "Size of memory mapped files in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.mem["file_mapped"]) }},
	{"container_memory_kernel_usage", "Size of kernel memory allocated in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.mem["kernel"]) }},
	{"container_memory_swap", "Container swap usage in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.swapCurrent) }},
	{"container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.memPeak) }},
	{"container_memory_failcnt", "Number of memory usage hits limits.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.memEvents["max"]) }},
	{"container_memory_failures_total", "Cumulative count of memory allocation failures.", false, []string{"failure_type", "scope"},
		func(s *ctrSample) []metricValue {
			return []metricValue{{[]string{"pgfault", "container"}, s.mem["pgfault"]}, {[]string{"pgmajfault", "container"}, s.mem["pgmajfault"]}}
		}},
	{"container_oom_events_total", "Count of out of memory events observed for the container.", false, nil,
		func(s *ctrSample) []metricValue { return one(s.memEvents["oom_kill"]) }},
	{"container_processes", "Number of processes running inside the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.processes) }},
	{"container_threads", "Number of threads running inside the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.pidsCurrent) }},
	{"container_threads_max", "Maximum number of threads allowed inside the container, 0 for no limit.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.pidsMax) }},
	{"container_file_descriptors", "Number of open file descriptors for the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.fds) }},
	{"container_sockets", "Number of open sockets for the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.sockets) }},
	{"container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.", true, []string{"device"},
		func(s *ctrSample) []metricValue { return []metricValue{{[]string{s.fsDevice}, s.fsUsage}} }},
	{"container_fs_limit_bytes", "Number of bytes that can be consumed by the container on this filesystem.", true, []string{"device"},
		func(s *ctrSample) []metricValue { return []metricValue{{[]string{s.fsDevice}, s.fsLimit}} }},
	{"container_fs_inodes_total", "Number of Inodes.", true, []string{"device"},
		func(s *ctrSample) []metricValue { return []metricValue{{[]string{s.fsDevice}, s.fsInodes}} }},
	{"container_fs_inodes_free", "Number of available Inodes.", true, []string{"device"},
		func(s *ctrSample) []metricValue { return []metricValue{{[]string{s.fsDevice}, s.fsInodesFree}} }},
	{"container_fs_reads_bytes_total", "Cumulative count of bytes read.", false, []string{"device"},
		func(s *ctrSample) []metricValue { return ioValues(s, "rbytes") }},
	{"container_fs_writes_bytes_total", "Cumulative count of bytes written.", false, []string{"device"},
		func(s *ctrSample) []metricValue { return ioValues(s, "wbytes") }},
	{"container_fs_reads_total", "Cumulative count of reads completed.", false, []string{"device"},
		func(s *ctrSample) []metricValue { return ioValues(s, "rios") }},
	{"container_fs_writes_total", "Cumulative count of writes completed.", false, []string{"device"},
		func(s *ctrSample) []metricValue { return ioValues(s, "wios") }},
	{"container_blkio_device_usage_total", "Blkio device bytes usage.", false, []string{"device", "major", "minor", "operation"},
		func(s *ctrSample) []metricValue {
			var out []metricValue
			for dev, st := range s.io {
				maj, mnr, _ := strings.Cut(dev, ":")
				out = append(out, metricValue{[]string{dev, maj, mnr, "Read"}, st["rbytes"]}, metricValue{[]string{dev, maj, mnr, "Write"}, st["wbytes"]})
			}
			return out
		}},
	{"container_spec_cpu_period", "CPU period of the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(max(s.spec.Resources.CPUPeriod, 0))) }},
	{"container_spec_cpu_quota", "CPU quota of the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(max(s.spec.Resources.CPUQuota, 0))) }},
	{"container_spec_cpu_shares", "CPU share of the container (cgroup v1 shares, from cpu.weight).", true, nil,
		func(s *ctrSample) []metricValue { return one(sharesOf(s.spec.Resources.CPUWeight)) }},
	{"container_spec_memory_limit_bytes", "Memory limit for the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(max(s.spec.Resources.MemoryMax, 0))) }},
	{"container_spec_memory_reservation_limit_bytes", "Memory reservation limit for the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(max(s.spec.Resources.MemoryMin, 0))) }},
	{"container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(max(s.spec.Resources.MemoryMax, 0))) }},
	{"container_start_time_seconds", "Start time of the container since unix epoch in seconds.", true, nil,
		func(s *ctrSample) []metricValue { return one(s.started) }},
	{"container_last_seen", "Last time a container was seen by the exporter.", true, nil,
		func(s *ctrSample) []metricValue { return one(uint64(time.Now().Unix())) }},
}

// networkMetrics are the series of the pod's network namespace, per
// interface (/proc/net/dev's columns).
var networkMetrics = []struct {
	name, help string
	column     int
}{
	{"container_network_receive_bytes_total", "Cumulative count of bytes received.", 0},
	{"container_network_receive_packets_total", "Cumulative count of packets received.", 1},
	{"container_network_receive_errors_total", "Cumulative count of errors encountered while receiving.", 2},
	{"container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving.", 3},
	{"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.", 8},
	{"container_network_transmit_packets_total", "Cumulative count of packets transmitted.", 9},
	{"container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting.", 10},
	{"container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting.", 11},
}

// ListMetricDescriptors describes every series ListPodSandboxMetrics gives.
func (s *Server) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	out := &runtimeapi.ListMetricDescriptorsResponse{}
	for _, m := range containerMetrics {
		out.Descriptors = append(out.Descriptors, &runtimeapi.MetricDescriptor{Name: m.name, Help: m.help, LabelKeys: append(append([]string{}, ctrLabelKeys...), m.extra...)})
	}
	for _, m := range networkMetrics {
		out.Descriptors = append(out.Descriptors, &runtimeapi.MetricDescriptor{Name: m.name, Help: m.help, LabelKeys: append(append([]string{}, ctrLabelKeys...), "interface")})
	}
	return out, nil
}

// ListPodSandboxMetrics samples every CRI pod that runs: each container's
// series, and the pod's network series (labelled as the pod's pause,
// container "POD", as cadvisor labels them).
func (s *Server) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	pods, err := criPods(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &runtimeapi.ListPodSandboxMetricsResponse{}
	now := time.Now().UnixNano()
	for _, st := range pods {
		if sandboxReady(st) != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		pm := &runtimeapi.PodSandboxMetrics{PodSandboxId: st.Spec.ID}
		meta := podMeta(st.Spec.Labels)
		podLabels := []string{"POD", st.Spec.ID, "", st.Spec.Name, meta.GetNamespace(), meta.GetName()}
		for iface, cols := range netDev(st.Pause.PID) {
			for _, m := range networkMetrics {
				pm.Metrics = append(pm.Metrics, &runtimeapi.Metric{Name: m.name, Timestamp: now, MetricType: runtimeapi.MetricType_COUNTER,
					LabelValues: append(append([]string{}, podLabels...), iface), Value: &runtimeapi.UInt64Value{Value: cols[m.column]}})
			}
		}
		for i := range st.Containers {
			c := &st.Containers[i]
			if c.State.Running == nil {
				continue
			}
			sample := sampleContainer(st, c)
			labels := []string{ctrMeta(c.Spec.Labels).GetName(), c.Spec.ID, c.Spec.Image, c.Spec.Name, meta.GetNamespace(), meta.GetName()}
			cm := &runtimeapi.ContainerMetrics{ContainerId: c.Spec.ID}
			for _, m := range containerMetrics {
				typ := runtimeapi.MetricType_COUNTER
				if m.gauge {
					typ = runtimeapi.MetricType_GAUGE
				}
				for _, v := range m.values(sample) {
					cm.Metrics = append(cm.Metrics, &runtimeapi.Metric{Name: m.name, Timestamp: now, MetricType: typ,
						LabelValues: append(append([]string{}, labels...), v.extra...), Value: &runtimeapi.UInt64Value{Value: v.value}})
				}
			}
			pm.ContainerMetrics = append(pm.ContainerMetrics, cm)
		}
		out.PodMetrics = append(out.PodMetrics, pm)
	}
	return out, nil
}

// ctrSample is what one container's series are computed from.
type ctrSample struct {
	spec                                     *model.ContainerSpec
	cpu, mem, memEvents                      map[string]uint64
	io                                       map[string]map[string]uint64 // by MAJ:MIN
	memCurrent, memPeak, swapCurrent         uint64
	pidsCurrent, pidsMax, processes          uint64
	fds, sockets                             uint64
	fsDevice                                 string
	fsUsage, fsLimit, fsInodes, fsInodesFree uint64
	started                                  uint64
}

// sampleContainer reads container c's sources once.
func sampleContainer(st *model.PodState, c *model.ContainerStatus) *ctrSample {
	s := &ctrSample{spec: &c.Spec, cpu: map[string]uint64{}, mem: map[string]uint64{}, memEvents: map[string]uint64{},
		io: map[string]map[string]uint64{}}
	if c.State.Running != nil {
		s.started = uint64(max(c.State.Running.StartedAt.Unix(), 0))
	}
	if st.Cgroup != "" {
		dir := filepath.Join(st.Cgroup, c.Spec.Name)
		flatKeyed(filepath.Join(dir, "cpu.stat"), s.cpu)
		flatKeyed(filepath.Join(dir, "memory.stat"), s.mem)
		flatKeyed(filepath.Join(dir, "memory.events"), s.memEvents)
		s.memCurrent = readUint(filepath.Join(dir, "memory.current"))
		s.memPeak = readUint(filepath.Join(dir, "memory.peak"))
		s.swapCurrent = readUint(filepath.Join(dir, "memory.swap.current"))
		s.pidsCurrent = readUint(filepath.Join(dir, "pids.current"))
		s.pidsMax = readUint(filepath.Join(dir, "pids.max"))
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			s.processes = uint64(strings.Count(string(b), "\n"))
		}
		ioStat(filepath.Join(dir, "io.stat"), s.io)
	}
	if c.Proc.Alive() {
		// The workload's own descriptors: readable where its process is
		// the user's (pod root); else they stay 0.
		if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", c.Proc.PID)); err == nil {
			s.fds = uint64(len(fds))
			for _, fd := range fds {
				if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", c.Proc.PID, fd.Name())); err == nil && strings.HasPrefix(l, "socket:") {
					s.sockets++
				}
			}
		}
	}
	u := layerUsage(0, &c.Spec)
	s.fsDevice, s.fsUsage = u.FsId.Mountpoint, u.UsedBytes.Value
	if s.fsDevice != "" {
		var fs unix.Statfs_t
		if unix.Statfs(s.fsDevice, &fs) == nil {
			s.fsLimit, s.fsInodes, s.fsInodesFree = fs.Blocks*uint64(fs.Bsize), fs.Files, fs.Ffree
		}
	}
	return s
}

// ioValues are io.stat's key per device, or nothing where there is none.
func ioValues(s *ctrSample, key string) []metricValue {
	var out []metricValue
	for dev, st := range s.io {
		out = append(out, metricValue{[]string{dev}, st[key]})
	}
	return out
}

// sharesOf is cpu.weight back in cgroup v1 shares (the inverse of
// resourcesOf's conversion); 0 where no weight was set.
func sharesOf(weight int64) uint64 {
	if weight <= 0 {
		return 0
	}
	return uint64(2 + ((weight-1)*262142)/9999)
}

// flatKeyed reads a cgroup file of "key value" lines into m.
func flatKeyed(path string, m map[string]uint64) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok {
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				m[k] = n
			}
		}
	}
}

// readUint reads a cgroup file of one number ("max" and errors are 0).
func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// ioStat reads io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...".
func ioStat(path string, m map[string]map[string]uint64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		dev := map[string]uint64{}
		for _, kv := range f[1:] {
			if k, v, ok := strings.Cut(kv, "="); ok {
				dev[k], _ = strconv.ParseUint(v, 10, 64)
			}
		}
		m[f[0]] = dev
	}
}

// netDev reads the interfaces of the network namespace of process pid
// (proc(5), /proc/PID/net/dev), but loopback: each one's 16 counters.
func netDev(pid int) map[string][]uint64 {
	out := map[string][]uint64{}
	if pid <= 0 {
		return out
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/dev", pid))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "lo" || strings.Contains(name, "|") {
			continue
		}
		var cols []uint64
		for _, f := range strings.Fields(rest) {
			n, _ := strconv.ParseUint(f, 10, 64)
			cols = append(cols, n)
		}
		if len(cols) >= 16 {
			out[name] = cols
		}
	}
	return out
}
