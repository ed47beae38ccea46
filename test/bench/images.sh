#!/bin/bash
# Image benchmarks, run by test/bench/run.sh as the bench user (rootless).
# Args: WORKDIR RUNS WARMUP IMAGE LOAD_RUNS.
#
# 1. run: `podctl run --rm IMAGE /bin/true` vs `podman run --rm --network none
#    IMAGE /bin/true`, on the very same image of the shared store (podman
#    imported it; podctl runs it from podman's store). Each run makes and
#    removes a container layer. Appends "TOOL MICROSECONDS" to
#    out/image-run-samples.
# 2. load: `podctl load -i ARCHIVE` vs `podman load -i ARCHIVE` of the same
#    oci-archive (WORKDIR/load.tar, ~100 MB in 5 gzip layers, written by
#    run.sh with test/mkimage); after each load the image is removed (not
#    timed), so that every load unpacks every layer. Appends "TOOL
#    MICROSECONDS" to out/image-load-samples.
set -euo pipefail
work=$1 runs=$2 warmup=$3 image=$4 load_runs=$5
out=$work/out podctl=$work/podctl
err=$out/image-stderr
load_name=localhost/podctl-bench-load:latest

. "$work/user-lib.sh"

cmd_podctl=("$podctl" run --rm --network none "$image" /bin/true)
cmd_podman=(podman run --rm --network none "$image" /bin/true)
# Each sample starts on a machine back at rest (user-lib.sh, quiesce).
quiesce_baseline
QUIESCE=1
tools=(podctl podman)
for ((i = 0; i < warmup; i++)); do
	for t in "${tools[@]}"; do time_one "$t"; done
done
: >"$out/image-run-samples"
for ((i = 0; i < runs; i++)); do
	for t in "${tools[@]}"; do
		time_one "$t"
		echo "$t $sample" >>"$out/image-run-samples"
	done
done

remove_loaded() { podman rmi -f "$load_name" >/dev/null 2>&1 || true; }
remove_loaded
trap remove_loaded EXIT
cmd_podctl=("$podctl" load -q -i "$work/load.tar")
cmd_podman=(podman load -q -i "$work/load.tar")
: >"$out/image-load-samples"
for ((i = 0; i < load_runs; i++)); do
	for t in "${tools[@]}"; do
		time_one "$t"
		echo "$t $sample" >>"$out/image-load-samples"
		"$podctl" images --format json | grep -q podctl-bench-load || die "$t load: the image is not in the store"
		remove_loaded
	done
done
