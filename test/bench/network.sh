#!/bin/bash
# Networking, run by test/bench/run.sh as the bench user (rootless).
# Args: WORKDIR RUNS WARMUP IMAGE NETIMAGE TPUT_RUNS SECONDS.
#
# 1. Start-up with networking: run --rm /bin/true to exit, with each tool's
#    default network: podctl (pasta), podctl --network slirp4netns, and
#    podman run --rm (podman 4.3 rootless: slirp4netns), alternating;
#    appends "TOOL MICROSECONDS" to WORKDIR/out/net-start-samples.
# 2. Throughput through a published TCP port on the host's loopback, with
#    iperf3 from Debian: the server in the pod (-p 127.0.0.1:PORT:5201), the
#    client on the host; host to pod, then pod to host (iperf3 -R, the same
#    path the other way). podctl with pasta, with slirp4netns and with
#    --network bridge (podctl's own forwarder), podman with its defaults
#    (slirp4netns, and rootlessport for the port), and the ceiling: an
#    iperf3 server on the host's own loopback, no namespace and nothing in
#    between (tool "loopback"), which no port forwarding can beat; and
#    podctl --port-bypass (pasta, the workload's listener bound on the
#    host: no forwarding at all). Appends
#    "TOOL DIRECTION GBITS_PER_SECOND" to WORKDIR/out/net-tput-samples.
# Only loopback is dialled: nothing leaves the machine.
set -euo pipefail
work=$1 runs=$2 warmup=$3 image=$4 netimage=$5 tput_runs=$6 secs=$7
rootfs=$work/rootfs netroot=$work/netroot out=$work/out podctl=$work/podctl
err=$out/net-stderr
prefix=podctl-bench-net

. "$work/user-lib.sh"
cleanup_all
trap cleanup_all EXIT

cmd_podctl=("$podctl" run --rm --rootfs "$rootfs" -- /bin/true)
cmd_podctlslirp=("$podctl" run --rm --network slirp4netns --rootfs "$rootfs" -- /bin/true)
cmd_podctlbridge=("$podctl" run --rm --network bridge --rootfs "$rootfs" -- /bin/true)
cmd_podman=(podman run --rm "$image" /bin/true)
tools=(podctl podctlslirp podctlbridge podman)
# A bridge pod that keeps the shared network up, as with several pods: the
# measured runs join it instead of making and removing it each time.
"$podctl" run -d --name "$prefix-anchor" --network bridge --rootfs "$rootfs" -- sleep 1000 \
	</dev/null >/dev/null 2>"$err" || die "podctl bridge anchor pod: $(cat "$err")"
# Each sample starts on a machine back at rest (user-lib.sh, quiesce).
quiesce_baseline
QUIESCE=1
for ((i = 0; i < warmup; i++)); do
	for t in "${tools[@]}"; do time_one "$t"; done
done
: >"$out/net-start-samples"
for ((i = 0; i < runs; i++)); do
	for t in "${tools[@]}"; do
		time_one "$t"
		echo "$t $sample" >>"$out/net-start-samples"
	done
done

"$podctl" rm -f "$prefix-anchor" </dev/null >/dev/null 2>&1 || true

# Throughput: one server pod per tool, on its own loopback port.
declare -A port=([podctl]=25201 [podctlslirp]=25202 [podman]=25203 [podctlbridge]=25204 [loopback]=25205 [podctlbypass]=25206)
"$podctl" run -d --name "$prefix-pasta" -p "127.0.0.1:${port[podctl]}:5201" --rootfs "$netroot" -- iperf3 -s \
	</dev/null >/dev/null 2>"$err" || die "podctl iperf3 server: $(cat "$err")"
"$podctl" run -d --name "$prefix-slirp" --network slirp4netns -p "127.0.0.1:${port[podctlslirp]}:5201" --rootfs "$netroot" -- iperf3 -s \
	</dev/null >/dev/null 2>"$err" || die "podctl iperf3 server (slirp4netns): $(cat "$err")"
"$podctl" run -d --name "$prefix-bridge" --network bridge -p "127.0.0.1:${port[podctlbridge]}:5201" --rootfs "$netroot" -- iperf3 -s \
	</dev/null >/dev/null 2>"$err" || die "podctl iperf3 server (bridge): $(cat "$err")"
"$podctl" run -d --name "$prefix-bypass" --port-bypass -p "127.0.0.1:${port[podctlbypass]}:5201" --rootfs "$netroot" -- iperf3 -s \
	</dev/null >/dev/null 2>"$err" || die "podctl iperf3 server (--port-bypass): $(cat "$err")"
podman run -d --name "$prefix-podman" -p "127.0.0.1:${port[podman]}:5201" "$netimage" iperf3 -s \
	</dev/null >/dev/null 2>"$err" || die "podman iperf3 server: $(cat "$err")"
iperf3 -s -B 127.0.0.1 -p "${port[loopback]}" </dev/null >/dev/null 2>&1 &
loopback_server=$!
trap 'kill $loopback_server 2>/dev/null; cleanup_all' EXIT
# iperf3 CLIENT_ARGS...: one test; prints Gbit/s received.
iperf() {
	local t=$1
	shift
	iperf3 -c 127.0.0.1 -p "${port[$t]}" -t "$secs" -J "$@" >"$out/iperf.json" 2>"$err" ||
		{ cat "$out/iperf.json" >>"$err"; return 1; }
	jq -r '.end.sum_received.bits_per_second / 1e9' "$out/iperf.json"
}
tput_tools=(podctl podctlslirp podctlbridge podctlbypass podman loopback)
for t in "${tput_tools[@]}"; do # until each server answers
	for ((i = 0; i < 100; i++)); do
		iperf3 -c 127.0.0.1 -p "${port[$t]}" -n 1K -J >/dev/null 2>&1 && break
		sleep 0.1
	done
done
: >"$out/net-tput-samples"
for ((i = 0; i < tput_runs; i++)); do
	for t in "${tput_tools[@]}"; do
		g=$(iperf "$t") || die "$t: iperf3 to the pod failed: $(cat "$err")"
		echo "$t host-to-pod $g" >>"$out/net-tput-samples"
		g=$(iperf "$t" -R) || die "$t: iperf3 -R failed: $(cat "$err")"
		echo "$t pod-to-host $g" >>"$out/net-tput-samples"
	done
done
