#!/bin/bash
# Exec latency, run by test/bench/run.sh as the bench user (rootless).
# Args: WORKDIR RUNS WARMUP IMAGE.
# One idle pod/container per tool, then `/bin/true` exec'd into it, the tools
# alternating; appends "TOOL MICROSECONDS" lines to WORKDIR/out/exec-samples.
set -euo pipefail
work=$1 runs=$2 warmup=$3 image=$4
rootfs=$work/rootfs out=$work/out podctl=$work/podctl
err=$out/exec-stderr
name=podctl-bench-exec

. "$work/user-lib.sh"

cleanup() {
	"$podctl" rm -f "$name" >/dev/null 2>&1 || true
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
}
cleanup
trap cleanup EXIT

# The same busybox rootfs for both: podctl uses the directory, podman the
# image run.sh imported from it. No network for podman (podctl's pod has
# loopback only; so has podman's with --network none).
"$podctl" run -d --network none --rootfs "$rootfs" --name "$name" -- sleep 1000 \
	</dev/null >/dev/null 2>"$err" || die "podctl run -d failed: $(cat "$err")"
podman run -d --name "$name" --network none "$image" sleep 1000 \
	</dev/null >/dev/null 2>"$err" || die "podman run -d failed: $(cat "$err")"

cmd_podctl=("$podctl" exec "$name" -- /bin/true)
cmd_podman=(podman exec "$name" /bin/true)

# Both pass the command's exit code through; check once, so that a tool that
# failed silently is not timed.
rc=0
"$podctl" exec "$name" -- /bin/sh -c 'exit 3' </dev/null >/dev/null 2>"$err" || rc=$?
((rc == 3)) || die "podctl exec: exit code $rc for 'exit 3': $(cat "$err")"
rc=0
podman exec "$name" /bin/sh -c 'exit 3' </dev/null >/dev/null 2>"$err" || rc=$?
((rc == 3)) || die "podman exec: exit code $rc for 'exit 3': $(cat "$err")"


# Each sample starts on a machine back at rest (user-lib.sh, quiesce).
quiesce_baseline
QUIESCE=1
tools=(podctl podman)
for ((i = 0; i < warmup; i++)); do
	for t in "${tools[@]}"; do time_one "$t"; done
done
: >"$out/exec-samples"
for ((i = 0; i < runs; i++)); do
	for t in "${tools[@]}"; do
		time_one "$t"
		echo "$t $sample" >>"$out/exec-samples"
	done
done
