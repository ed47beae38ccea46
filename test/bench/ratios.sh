#!/bin/bash
# ratios.sh RESULTS_DIR: the table of podctl/peer ratios of the medians, in
# markdown, from the JSON files a run of test/bench/run.sh wrote there
# (start-latency, exec-latency, pod-memory, lifecycle, images, network). run.sh writes it to
# RESULTS_DIR/ratios.md; docs/benchmarks.md has a copy.
# Targets: issue 9 (run <= 2x bwrap and <= 0.1x podman, exec <= 0.1x
# podman, memory per pod <= 0.25x podman).
set -euo pipefail
dir=${1:?usage: ratios.sh RESULTS_DIR}

jq -n -r --slurpfile start "$dir/start-latency.json" --slurpfile exec "$dir/exec-latency.json" \
	--slurpfile mem "$dir/pod-memory.json" --slurpfile lc "$dir/lifecycle.json" --slurpfile img "$dir/images.json" \
	--slurpfile net "$dir/network.json" '
	def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r2: (. * 100 | round) as $c | "\($c / 100 | floor).\($c % 100 | tostring | if length < 2 then "0" + . else . end)";
	def ms: if . >= 1000 then (. / 10 | round / 100 | tostring) + " s" else (. * 10 | round / 10 | tostring) + " ms" end;
	def kb: (. | round | tostring) + " kB";
	def gbit: (. * 100 | round / 100 | tostring) + " Gbit/s";
	# row(what; podctl; peer name; peer; unit; target; max ratio or null)
	def row($what; $a; $peer; $b; unit; $target; $limit):
		($a / $b) as $q
		# Three decimals where two would hide which side of the target it is.
		| (if $limit != null and ($q | r2) == ($limit | r2) then ($q * 1000 | round / 1000 | tostring) else ($q | r2) end) as $shown
		| "| \($what) | \($a | unit) | \($peer) | \($b | unit) | **\($shown)** | \($target) | "
		  + (if $limit == null then "" elif $q <= $limit then "met" else "not met" end) + " |";
	# A ratio where more is better: podctl/peer must be at least $limit.
	def rowmin($what; $a; $peer; $b; unit; $target; $limit):
		($a / $b) as $q
		| "| \($what) | \($a | unit) | \($peer) | \($b | unit) | **\($q | r2)** | \($target) | " + (if $limit == null then "" elif $q >= $limit then "met" else "not met" end) + " |";
	$start[0] as $s | $exec[0] as $e | $mem[0].variants as $m | $lc[0] as $l | $img[0] as $i | $net[0] as $n
	| ($s.podctl | med) as $pc
	| "| measurement (median) | podctl | peer | peer | podctl/peer | target (issue 9) | |",
	  "|---|---:|---|---:|---:|---|---|",
	  row("start-up: run `/bin/true`, to exit"; $pc; "bwrap"; ($s.bwrap | med); ms; "≤ 2"; 2),
	  (if $s.podman then row("start-up: run `/bin/true`, to exit"; $pc; "`podman run --rm`"; ($s.podman | med); ms; "≤ 0.1"; 0.1) else empty end),
	  row("start-up: run `/bin/true`, to exit"; $pc; "`unshare` (floor)"; ($s.unshare | med); ms; "—"; null),
	  (if $s.podctlvol then row("start-up with a workspace `-v DIR:/w`"; ($s.podctlvol | med); "bwrap `--bind DIR /w`"; ($s.bwrapvol | med); ms; "< 2 (issue 11)"; 2) else empty end),
	  row("exec `/bin/true` in a running pod"; $e.median.podctl; "`podman exec`"; $e.median.podman; ms; "≤ 0.1"; 0.1),
	  row("memory per idle pod (VmRSS), 1 pod"; $m.podctl["1"].vmrss_kb_per_pod.median; "podman pod"; $m["podman-pod"]["1"].vmrss_kb_per_pod.median; kb; "≤ 0.25"; 0.25),
	  row("memory per idle pod (VmRSS), 20 pods"; $m.podctl["20"].vmrss_kb_per_pod.median; "podman pod"; $m["podman-pod"]["20"].vmrss_kb_per_pod.median; kb; "≤ 0.25"; 0.25),
	  (if $m["podctl-net"] then row("memory per idle pod with its default network (pasta), 20 pods"; $m["podctl-net"]["20"].vmrss_kb_per_pod.median; "podman pod (slirp4netns)"; $m["podman-podnet"]["20"].vmrss_kb_per_pod.median; kb; "≤ 0.25"; 0.25) else empty end),
	  (if $m["podctl-bridge"] then row("memory per idle pod, `--network bridge`, 20 pods"; $m["podctl-bridge"]["20"].vmrss_kb_per_pod.median; "podman pod (slirp4netns)"; $m["podman-podnet"]["20"].vmrss_kb_per_pod.median; kb; "≤ 0.25"; 0.25) else empty end),
	  row("memory per idle pod (VmRSS), 1 pod"; $m.podctl["1"].vmrss_kb_per_pod.median; "podman container"; $m["podman-ctr"]["1"].vmrss_kb_per_pod.median; kb; "(podman'"'"'s floor)"; null),
	  row("two-container pod until Ready"; $l.pod_ready.median.podctl; "podman pod"; $l.pod_ready.median.podman; ms; "—"; null),
	  (if $l.kube_apply then row("`apply -f` of the same pod as a manifest, until Ready, `--network none`"; $l.kube_apply.median.podctl; "`podman kube play`"; $l.kube_apply.median.podman; ms; "≤ 0.1 (issue 7)"; 0.1) else empty end),
	  (if $l.kube_apply_default_network then row("`apply -f`, default network (pasta)"; $l.kube_apply_default_network.median.podctl; "`podman kube play` (slirp4netns)"; $l.kube_apply_default_network.median.podman; ms; "≤ 0.1 (issue 7)"; 0.1) else empty end),
	  row("stop + rm of an idle pod"; $l.stop_rm.median.podctl; "podman (`--init`)"; $l.stop_rm.median.podman; ms; "—"; null),
	  row("\($l.bulk.pods) pods: run -d each, then rm -f each"; $l.bulk.median.podctl; "podman"; $l.bulk.median.podman; ms; "—"; null),
	  row("run `/bin/true` from an image, `--rm`"; $i.run.median.podctl; "`podman run --rm`"; $i.run.median.podman; ms; "≤ 0.1 (issue 4)"; 0.1),
	  row("load a \($i.load.archive_mb) MB oci-archive"; $i.load.median.podctl; "`podman load`"; $i.load.median.podman; ms; "≤ 1 (issue 4)"; 1),
	  row("start-up with the default network (pasta)"; $n.start.median.podctl; "`podman run --rm` (slirp4netns)"; $n.start.median.podman; ms; "≤ 0.1 (issue 5)"; 0.1),
	  row("start-up, `--network slirp4netns`"; $n.start.median.podctl_slirp4netns; "`podman run --rm` (slirp4netns)"; $n.start.median.podman; ms; "—"; null),
	  (if $n.start.median.podctl_bridge then row("start-up, `--network bridge` (shared network up)"; $n.start.median.podctl_bridge; "`podman run --rm` (slirp4netns)"; $n.start.median.podman; ms; "—"; null) else empty end),
	  rowmin("throughput host → pod, published port (pasta)"; $n.throughput["host-to-pod"].median.podctl; "podman `-p` (rootlessport)"; $n.throughput["host-to-pod"].median.podman; gbit; "≥ 2 (issue 5)"; 2),
	  rowmin("throughput pod → host, published port (pasta)"; $n.throughput["pod-to-host"].median.podctl; "podman `-p` (rootlessport)"; $n.throughput["pod-to-host"].median.podman; gbit; "≥ 2 (issue 5)"; 2),
	  (if $n.throughput["host-to-pod"].median.podctl_bridge then
	     rowmin("throughput host → pod, `--network bridge` (podctl'"'"'s forwarder)"; $n.throughput["host-to-pod"].median.podctl_bridge; "podman `-p` (rootlessport)"; $n.throughput["host-to-pod"].median.podman; gbit; "—"; null),
	     rowmin("throughput pod → host, `--network bridge` (podctl'"'"'s forwarder)"; $n.throughput["pod-to-host"].median.podctl_bridge; "podman `-p` (rootlessport)"; $n.throughput["pod-to-host"].median.podman; gbit; "—"; null)
	   else empty end),
	  rowmin("throughput host → pod, `--network slirp4netns`"; $n.throughput["host-to-pod"].median.podctl_slirp4netns; "podman `-p` (rootlessport)"; $n.throughput["host-to-pod"].median.podman; gbit; "—"; null),
	  (if $n.throughput["host-to-pod"].median.podctl_port_bypass then
	     rowmin("throughput host → pod, `--port-bypass` (pasta; the listener on the host)"; $n.throughput["host-to-pod"].median.podctl_port_bypass; "podman `-p` (rootlessport)"; $n.throughput["host-to-pod"].median.podman; gbit; "≥ 2 (issue 5)"; 2),
	     rowmin("throughput pod → host, `--port-bypass`"; $n.throughput["pod-to-host"].median.podctl_port_bypass; "podman `-p` (rootlessport)"; $n.throughput["pod-to-host"].median.podman; gbit; "≥ 2 (issue 5)"; 2)
	   else empty end),
	  (if $n.throughput["host-to-pod"].median.host_loopback then
	     rowmin("the ceiling, host → host: iperf3 on the host'"'"'s loopback, no namespace, no forwarding"; $n.throughput["host-to-pod"].median.host_loopback; "podman `-p` (rootlessport)"; $n.throughput["host-to-pod"].median.podman; gbit; "—"; null),
	     rowmin("the ceiling, `-R`"; $n.throughput["pod-to-host"].median.host_loopback; "podman `-p` (rootlessport)"; $n.throughput["pod-to-host"].median.podman; gbit; "—"; null)
	   else empty end),
	  "",
	  "Machine: \($l.machine.nproc) CPUs, kernel \($l.machine.kernel), podman \($l.machine.podman), crun \($l.machine.crun); podctl \($l.machine.podctl_commit); \($l.machine.date). Runs per latency: \($l.pod_ready.runs) (\($l.bulk.rounds) rounds of \($l.bulk.pods) pods)."'
