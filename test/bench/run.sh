#!/bin/bash
# `make bench`: rootless, side by side with peers (see test/bench/README.md):
# - start-up latency of a one-container pod, next to bubblewrap, a bare
#   `unshare` (the floor: namespaces and nothing else) and `podman run --rm`,
#   plus the pause's RSS;
# - exec latency into a running container: podctl exec vs podman exec;
# - memory each tool adds per idle one-container pod (workload excluded),
#   for 1 and 20 pods: podctl vs podman (a container, and a pod with infra);
# - pod life cycle vs podman (test/bench/lifecycle.sh): a two-container pod
#   until Ready, stop + rm of an idle pod, and 50 pods created then removed
#   (with a leak check);
# - images vs podman (test/bench/images.sh): run --rm IMAGE /bin/true from
#   the shared store, and load of a ~100 MB five-layer oci-archive;
# - networking vs podman (test/bench/network.sh): start-up with each tool's
#   default network, and iperf3 throughput through a published port on
#   loopback, host to pod and pod to host;
# - the CRI server vs podctl's command line (test/bench/cribench): a pod
#   with one container until running, and ExecSync vs podctl exec;
# - processes started and Go runtimes booted per operation, next to
#   bubblewrap, crun and podman (test/bench/procs.sh, as root: tracefs).
# A full run writes test/bench/results/*.json and redraws docs/benchmarks.png
# (test/bench/chart.sh, gnuplot).
#
# Run by root: like test/run-tests.sh it prepares the Debian packages, an
# unprivileged user with subordinate ids and a private XDG_RUNTIME_DIR, and
# rootless podman for that user (test/bench/podman.sh), then measures as
# that user.
#
#   test/bench/run.sh            BENCH_RUNS (default 20) runs per tool, after 3 warm-up rounds;
#                                memory: BENCH_MEM1_RUNS (default 8) rounds of 1 pod, BENCH_MEM20_RUNS (default 2) of 20;
#                                BENCH_BULK_RUNS (default 3) rounds of BENCH_BULK_PODS (default 50) pods;
#                                BENCH_LOAD_RUNS (default 5) loads of the archive per tool;
#                                BENCH_TPUT_RUNS (default 5) iperf3 tests of BENCH_TPUT_SECONDS (default 3) per tool and direction
#   test/bench/run.sh --smoke    1 run of each, no warm-up (CI: does it all still work?)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
. test/bench/podman.sh

RUNS=${BENCH_RUNS:-20}
MEM1_RUNS=${BENCH_MEM1_RUNS:-8}
MEM20_RUNS=${BENCH_MEM20_RUNS:-2}
BULK_RUNS=${BENCH_BULK_RUNS:-2}
BULK_PODS=${BENCH_BULK_PODS:-50}
LOAD_RUNS=${BENCH_LOAD_RUNS:-5}
TPUT_RUNS=${BENCH_TPUT_RUNS:-5}
TPUT_SECONDS=${BENCH_TPUT_SECONDS:-3}
# Once per full run: podman stop of a container without --init (sleep as
# PID 1 ignores SIGTERM: the full 10 s), for the record, not compared.
NOINIT=1
WARMUP=3
SMOKE=0
# Seconds between starting the pods and reading their memory: idle pods,
# so longer than the 2 s after which podctl's detached supervisor, idle,
# hibernates (execs its small C keeper in place; sandbox/supervisor/hibernate.go).
MEM_SETTLE=3
IMAGE=localhost/podctl-bench-busybox
NETIMAGE=localhost/podctl-bench-iperf
BENCH_USER=${PODCTL_BENCH_USER:-podctl-test}
# BENCH_RESULTS: where the JSON files and the chart go (default: the JSON to
# test/bench/results, the chart to docs/benchmarks.png).
RESULTS=${BENCH_RESULTS:-test/bench/results}

case "${1:-}" in
"") ;;
--smoke) SMOKE=1 RUNS=1 MEM1_RUNS=1 MEM20_RUNS=1 BULK_RUNS=1 NOINIT=0 WARMUP=0 LOAD_RUNS=1 TPUT_RUNS=1 TPUT_SECONDS=1 ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[[ $MEM20_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_MEM20_RUNS must be a positive integer" >&2; exit 2; }
[[ $MEM1_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_MEM1_RUNS must be a positive integer" >&2; exit 2; }
[[ $BULK_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_BULK_RUNS must be a positive integer" >&2; exit 2; }
[[ $BULK_PODS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_BULK_PODS must be a positive integer" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (make bench); it sets up user $BENCH_USER" >&2; exit 1; }
[ -x bin/podctl ] && [ -x bin/podctl-net ] && [ -x bin/podctl-store ] && [ -x bin/podctl-image ] && [ -x bin/podctl-kube ] && [ -x bin/podctl-cri ] || { echo "bench: bin/podctl or a helper (podctl-net, podctl-store, podctl-image, podctl-kube, podctl-cri) missing; run make build" >&2; exit 1; }
[[ $LOAD_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_LOAD_RUNS must be a positive integer" >&2; exit 2; }

# --- 1. packages (apt only when something is missing) ---
missing=()
command -v busybox >/dev/null || missing+=(busybox-static)
command -v newuidmap >/dev/null || missing+=(uidmap)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v pgrep >/dev/null || missing+=(procps)
command -v jq >/dev/null || missing+=(jq)
# The peer: rootless podman with crun (conmon comes with podman); catatonit
# is the pause of its pods and of its rootless user namespace.
command -v podman >/dev/null || missing+=(podman)
command -v crun >/dev/null || missing+=(crun)
command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
# Networking: podctl's helpers (podman uses slirp4netns too), and iperf3.
command -v pasta >/dev/null || missing+=(passt)
command -v slirp4netns >/dev/null || missing+=(slirp4netns)
command -v iperf3 >/dev/null || missing+=(iperf3)
if ((${#missing[@]})); then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# gnuplot draws docs/benchmarks.png (test/bench/chart.sh); without it the
# numbers are still measured, and the chart is not redrawn.
if ! command -v gnuplot >/dev/null; then
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null; } ||
		echo "bench: could not install gnuplot-nox; docs/benchmarks.png will not be redrawn" >&2
fi
BUSYBOX=$(command -v busybox)
# The rootfs has no libc: a dynamic busybox (package busybox) would not run in it.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "bench: $BUSYBOX is dynamically linked; install busybox-static" >&2
	exit 1
fi

# The helpers open /dev/net/tun as the user (0666 where udev runs; not here).
[ "$(stat -c %a /dev/net/tun)" = 666 ] || chmod 0666 /dev/net/tun

# --- 2. the bench user, its subordinate ids and runtime dir (as test/run-tests.sh) ---
setup_test_user "$BENCH_USER"

# --- 3. a busybox rootfs and a copy of podctl the user can reach ---
work=$(mktemp -d /tmp/podctl-bench.XXXXXX)
# On any exit: the image we imported, the podman pause we started, the files.
# (The measuring scripts remove their own pods and containers.)
cleanup() {
	if ((image_imported)); then
		podman_as "$BENCH_USER" "$rundir" rmi -f "$IMAGE" "$NETIMAGE" >/dev/null 2>&1 || true
	fi
	podman_stop_pause || true
	rm -rf "$work"
}
image_imported=0
trap cleanup EXIT
chmod 755 "$work"
rootfs=$work/rootfs
make_busybox_rootfs "$rootfs"
chown -R "$BENCH_USER:" "$rootfs"
# The throughput benchmark's rootfs: busybox plus Debian's iperf3 and the
# libraries ldd names (the same files for podctl and, imported, podman).
netroot=$work/netroot
cp -a "$rootfs" "$netroot"
cp "$(command -v iperf3)" "$netroot/bin/"
for lib in $(ldd "$(command -v iperf3)" | grep -o '/[^ ]*'); do
	mkdir -p "$netroot$(dirname "$lib")"
	cp -L "$lib" "$netroot$lib"
done
chown -R "$BENCH_USER:" "$netroot"
cp bin/podctl bin/podctl-net bin/podctl-store bin/podctl-image bin/podctl-kube bin/podctl-cri "$work/"
# The CRI server next to the CLI (test/bench/cribench: a gRPC client).
go build -o "$work/cribench" ./test/bench/cribench
cp test/bench/exec.sh test/bench/memory.sh test/bench/lifecycle.sh test/bench/images.sh test/bench/network.sh test/bench/user-lib.sh "$work/"
chmod 755 "$work/podctl" "$work/podctl-net" "$work/podctl-store" "$work/podctl-image" "$work/podctl-kube" "$work/podctl-cri" "$work/cribench" "$work/exec.sh" "$work/memory.sh" "$work/lifecycle.sh" "$work/images.sh" "$work/network.sh"
# The archive the load benchmark loads: the busybox rootfs plus four layers
# of 25 MB of random bytes each (incompressible, like binaries), gzip'd as
# registries keep layers: ~100 MB.
for i in 1 2 3 4; do
	mkdir -p "$work/load-layer$i/data$i"
	head -c 25M /dev/urandom >"$work/load-layer$i/data$i/blob"
done
go run ./test/mkimage -o "$work/load.tar" -gzip -name localhost/podctl-bench-load:latest \
	"$rootfs" "$work"/load-layer{1,2,3,4}
rm -rf "$work"/load-layer?
chmod 644 "$work/load.tar"
# The inner script writes its samples and stderr captures here.
mkdir "$work/out"
chown "$BENCH_USER:" "$work/out"

# --- 4 and 6. the measuring script, run once as the user so su's cost stays out of the loop ---
cat >"$work/measure.sh" <<'EOF'
#!/bin/bash
# Runs as the bench user. Args: WORKDIR RUNS WARMUP IMAGE.
# Writes "TOOL MICROSECONDS" lines to WORKDIR/out/samples; prints notes on stdout.
set -euo pipefail
work=$1 runs=$2 warmup=$3 image=$4
rootfs=$work/rootfs out=$work/out podctl=$work/podctl
err=$out/stderr

cmd_podctl=("$podctl" run --rm --network none --rootfs "$rootfs" -- /bin/true)
cmd_bwrap=(bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev /bin/true)
# The same with a workspace bind-mounted read-write (a CI step's $PWD).
mkdir -p "$out/ws"
cmd_podctlvol=("$podctl" run --rm --network none -v "$out/ws:/w" --rootfs "$rootfs" -- /bin/true)
cmd_bwrapvol=(bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev --bind "$out/ws" /w /bin/true)
cmd_unshare=(unshare -Urnpim --fork --root="$rootfs" /bin/true)
# The same rootfs as an image (run.sh imported it); loopback only, as podctl.
cmd_podman=(podman run --rm --network none "$image" /bin/true)

. "$work/user-lib.sh"

# Pauses and pods that were there before us are not ours to account for.
# (Files, not <(...): process substitutions are left for init to reap.)
pgrep -u "$USER" -x podctl-pause >"$out/pauses-before" || true
new_pauses() { pgrep -u "$USER" -x podctl-pause | grep -vxF -f "$out/pauses-before" || true; }
pods_before=$("$podctl" ps -a | sort)

if ! "${cmd_unshare[@]}" </dev/null >/dev/null 2>"$err"; then
	echo "note: '${cmd_unshare[*]}' fails here ($(head -n1 "$err")); the unshare floor is measured without --root"
	cmd_unshare=(unshare -Urnpim --fork /bin/true)
fi
echo "unshare command: ${cmd_unshare[*]}" >"$out/unshare-cmd"


# Each sample starts on a machine back at rest (user-lib.sh, quiesce).
quiesce_baseline
QUIESCE=1
tools=(podctl bwrap unshare podman podctlvol bwrapvol)
# Warm-up: page cache, dentries, first-use costs; discarded.
for ((i = 0; i < warmup; i++)); do
	for t in "${tools[@]}"; do time_one "$t"; done
done
# Alternate the tools so drift (CPU frequency, other load) hits all alike.
: >"$out/samples"
for ((i = 0; i < runs; i++)); do
	for t in "${tools[@]}"; do
		time_one "$t"
		echo "$t $sample" >>"$out/samples"
	done
done

# The pause's memory: a pod that stays up until we stop it.
"$podctl" run --rm --network none --rootfs "$rootfs" -- /bin/sh -c 'echo ready; sleep 30' \
	</dev/null >"$out/mem.out" 2>"$out/mem.err" &
runpid=$!
trap 'kill $runpid 2>/dev/null || true; wait $runpid 2>/dev/null || true' EXIT
for ((i = 0; i < 200; i++)); do
	grep -qx ready "$out/mem.out" && break
	kill -0 $runpid 2>/dev/null || die "memory pod ended early: $(cat "$out/mem.err")"
	sleep 0.05
done
grep -qx ready "$out/mem.out" || die "memory pod not ready after 10s: $(cat "$out/mem.err")"
pause=$(new_pauses)
[[ $pause =~ ^[0-9]+$ ]] || die "expected one new podctl-pause process, found: '${pause//$'\n'/ }'"
rss=$(awk '$1 == "VmRSS:" {print $2, $3}' "/proc/$pause/status")
echo "pause RSS: $rss (pid $pause)"
# SIGTERM to podctl goes to the workload; the pod then ends and podctl exits.
kill -TERM $runpid
wait $runpid || true
trap - EXIT

# Leave nothing behind: no pause, no pod state (podctl run --rm removes it).
for ((i = 0; i < 50; i++)); do kill -0 "$pause" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pause" 2>/dev/null && die "pause $pause still running after its pod was stopped"
left=$(new_pauses)
[ -z "$left" ] || die "leaked podctl-pause processes: ${left//$'\n'/ }"
[ "$("$podctl" ps -a | sort)" = "$pods_before" ] || die "pod state left behind: $("$podctl" ps -a)"
EOF
chmod 755 "$work/measure.sh"

# as_user CMD...: run CMD as the bench user, in $work, with its runtime dir.
as_user() { run_as "$BENCH_USER" "$rundir" "$work" "$@"; }

# --- 3b. rootless podman for the user (test/bench/podman.sh) ---
podman_user_config "$BENCH_USER"
podman_start_pause "$BENCH_USER" "$rundir"
# The leak oracle's snapshot (test/leak; the end check compares the user's
# whole machine with it): taken once podman's pause and podman's pod infra
# image (built on the first pod create, kept by podman by design) exist,
# so that what remains to compare at the end is what the runs made.
podman_as "$BENCH_USER" "$rundir" pod create --network none --name podctl-bench-infra >/dev/null
podman_as "$BENCH_USER" "$rundir" pod rm podctl-bench-infra >/dev/null
go build -o "$work/leakcheck" ./test/leak/leakcheck
as_user "$work/leakcheck" save "$work/out/leak-before.json"
# The same busybox rootfs as an image, owned by root inside it as podctl's
# rootfs is (the user's own uid maps to root in both); built locally, no pull.
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
	podman_as "$BENCH_USER" "$rundir" import -q - "$IMAGE" >/dev/null 2>"$work/out/import.err" ||
	{ echo "bench: podman import failed:" >&2; cat "$work/out/import.err" >&2; exit 1; }
tar -C "$netroot" --numeric-owner --owner=0 --group=0 -c . |
	podman_as "$BENCH_USER" "$rundir" import -q - "$NETIMAGE" >/dev/null 2>"$work/out/import.err" ||
	{ echo "bench: podman import of the iperf3 rootfs failed:" >&2; cat "$work/out/import.err" >&2; exit 1; }
image_imported=1

echo "== podctl start-up latency, rootless as $BENCH_USER: $RUNS runs per tool, $WARMUP warm-up rounds"
as_user "$work/measure.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE"

echo "== exec latency, podctl exec vs podman exec: $RUNS runs per tool, $WARMUP warm-up rounds"
as_user "$work/exec.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE"
echo "== the CRI server vs podctl's command line: a pod until running, and ExecSync vs podctl exec; $RUNS runs each after $WARMUP warm-up rounds"
as_user "$work/cribench" -podctl "$work/podctl" -image "$IMAGE" -runs "$RUNS" -warmup "$WARMUP" -out "$work/out/cri.json" | tee "$work/out/cri.txt"
echo "== memory per idle pod: $MEM1_RUNS rounds of 1 pod, $MEM20_RUNS of 20 pods, per variant"
as_user "$work/memory.sh" "$work" "$MEM1_RUNS" "$MEM20_RUNS" "$IMAGE" "$MEM_SETTLE"
touch "$work/out/supervisor-smaps" "$work/out/supervisor-smaps-start" "$work/out/mem-notes"
echo "== pod life cycle vs podman: $RUNS runs per tool after $WARMUP warm-up rounds; $BULK_RUNS round(s) of $BULK_PODS pods"
as_user "$work/lifecycle.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE" "$BULK_RUNS" "$BULK_PODS" "$MEM_SETTLE" "$NOINIT"
echo "== images vs podman: run --rm IMAGE, $RUNS runs per tool after $WARMUP warm-up rounds; load of a $(du -m "$work/load.tar" | cut -f1) MB oci-archive, $LOAD_RUNS per tool"
as_user "$work/images.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE" "$LOAD_RUNS"
echo "== networking vs podman: run --rm with the default network, $RUNS runs per tool after $WARMUP warm-up rounds; iperf3 through a published port, $TPUT_RUNS tests of $TPUT_SECONDS s per tool and direction"
as_user "$work/network.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE" "$NETIMAGE" "$TPUT_RUNS" "$TPUT_SECONDS"
echo "== processes started and Go runtimes booted per operation (the kernel's task_newtask and sched_process_exec tracepoints)"
test/bench/procs.sh "$work" "$BENCH_USER" "$rundir" "$IMAGE"

# --- 5. the tables, ratios and raw samples ---
samples=$work/out/samples
# median_min_max: of the numbers on stdin, one a line.
median_min_max() {
	sort -g | awk '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      print m, v[1], v[NR] }'
}
# stats FILE TOOL: "median min max" in ms of FILE's "TOOL MICROSECONDS" lines.
stats() {
	awk -v t="$2" '$1 == t {print $2}' "$1" | median_min_max |
		awk '{printf "%.2f %.2f %.2f\n", $1 / 1000, $2 / 1000, $3 / 1000}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "start-up latency (run to exit of /bin/true)"
printf '%-8s %5s %10s %8s %8s\n' tool runs "median ms" "min ms" "max ms"
declare -A median
for t in podctl bwrap unshare podman podctlvol bwrapvol; do
	read -r med min max <<<"$(stats "$samples" $t)"
	median[$t]=$med
	printf '%-9s %5d %10s %8s %8s\n' "$t" "$RUNS" "$med" "$min" "$max"
done
for peer in bwrap unshare podman; do
	echo "podctl/$peer median ratio: $(ratio "${median[podctl]}" "${median[$peer]}")"
done
echo "with a workspace volume (-v DIR:/w; bwrap --bind DIR /w): podctl/bwrap median ratio $(ratio "${median[podctlvol]}" "${median[bwrapvol]}"); the volume adds $(awk -v a="${median[podctlvol]}" -v b="${median[podctl]}" 'BEGIN { printf "%.2f", a - b }') ms to podctl's run"
cat "$work/out/unshare-cmd"

exec_samples=$work/out/exec-samples
echo
echo "exec latency (/bin/true in a running container)"
printf '%-8s %5s %10s %8s %8s\n' tool runs "median ms" "min ms" "max ms"
declare -A exec_median
for t in podctl podman; do
	read -r med min max <<<"$(stats "$exec_samples" $t)"
	exec_median[$t]=$med
	printf '%-8s %5d %10s %8s %8s\n' "$t" "$RUNS" "$med" "$min" "$max"
done
exec_ratio=$(ratio "${exec_median[podctl]}" "${exec_median[podman]}")
echo "podctl/podman median ratio: $exec_ratio"

# Memory: per pod = the sample's total / N.
mem_samples=$work/out/mem-samples
# mem_stats VARIANT N FIELD: "median min max" of FIELD / N (kB per pod).
# Fields: 4 procs, 5 VmRSS, 6 RssAnon, 7 RssFile, 8 Pss.
mem_stats() {
	awk -v v="$1" -v n="$2" -v f="$3" '$1 == v && $2 == n && $f != "NA" {print $f / n}' "$mem_samples" |
		median_min_max
}
echo
echo "memory added per idle pod (kB per pod; the workload itself excluded)"
printf '%-11s %4s %6s %10s %8s %8s %9s %7s  %s\n' variant pods rounds "VmRSS med" min max "RssAnon" "Pss" "processes per pod (VmRSS each, last round)"
declare -A mem_median
for n in 1 20; do
	for v in podctl podman-ctr podman-pod podctl-net podctl-bridge podman-podnet; do
		read -r med min max <<<"$(mem_stats $v $n 5)"
		mem_median[$v,$n]=$med
		anon=$(mem_stats $v $n 6 | cut -d' ' -f1)
		pss=$(mem_stats $v $n 8 | cut -d' ' -f1)
		rounds=$(awk -v v=$v -v n=$n '$1 == v && $2 == n' "$mem_samples" | wc -l)
		# The breakdown of the last round, per pod: name x count (VmRSS).
		procs=$(awk -v v=$v -v n=$n '$1 == v && $2 == n {b = $9} END {
			k = split(b, e, ","); for (i = 1; i <= k; i++) { split(e[i], f, ":")
			printf "%s%s x%g (%.0f kB)", (i > 1 ? ", " : ""), f[1], f[2] / n, f[3] / f[2] } }' "$mem_samples")
		printf '%-11s %4d %6d %10.0f %8.0f %8.0f %9.0f %7s  %s\n' $v $n "$rounds" "$med" "$min" "$max" "$anon" \
			"$([ -n "$pss" ] && printf '%.0f' "$pss" || echo NA)" "$procs"
	done
done
for n in 1 20; do
	echo "podctl/podman-pod VmRSS ratio, $n pod(s): $(ratio "${mem_median[podctl,$n]}" "${mem_median[podman-pod,$n]}")  (like for like: both keep a pause)"
	echo "podctl/podman-ctr VmRSS ratio, $n pod(s): $(ratio "${mem_median[podctl,$n]}" "${mem_median[podman-ctr,$n]}")"
	echo "podctl-net/podman-podnet VmRSS ratio, $n pod(s): $(ratio "${mem_median[podctl-net,$n]}" "${mem_median[podman-podnet,$n]}")  (each with its default network)"
	echo "podctl-bridge/podman-podnet VmRSS ratio, $n pod(s): $(ratio "${mem_median[podctl-bridge,$n]}" "${mem_median[podman-podnet,$n]}")  (the shared network's holder and pasta counted with the first pod)"
done
# supervisor_line FILE: "Name: x, Rss: n kB, ..." on one line.
supervisor_line() {
	awk '{printf "%s%s %s%s", (NR > 1 ? ", " : ""), $1, $2, ($1 ~ /^(Name|Threads):$/ ? "" : " kB")}' "$1"
}
[ ! -s "$work/out/supervisor-smaps-start" ] ||
	echo "podctl supervisor of the first pod, just started: $(supervisor_line "$work/out/supervisor-smaps-start")"
[ ! -s "$work/out/supervisor-smaps" ] ||
	echo "podctl supervisor of the first pod, idle ${MEM_SETTLE} s: $(supervisor_line "$work/out/supervisor-smaps")"
if [ -s "$work/out/mem-notes" ]; then
	# Other processes of the user that started while pods were measured
	# (not counted). Usually a `make test` running alongside: then re-run.
	echo "note: $(wc -l <"$work/out/mem-notes") unattributed new processes seen while measuring (not counted), e.g.:"
	head -n 3 "$work/out/mem-notes" | cut -c1-160 | sed 's/^/  /'
fi

# Pod life cycle (lifecycle.sh): "TOOL MICROSECONDS" files for stats.
lc=$work/out
awk '{print $1, $2}' "$lc/ready-samples" >"$lc/ready-total"
awk '{print $1, $2 + $3}' "$lc/stoprm-samples" >"$lc/stoprm-total"
awk '{print $1, $2}' "$lc/stoprm-samples" >"$lc/stoprm-stop"
awk '{print $1, $3}' "$lc/stoprm-samples" >"$lc/stoprm-rm"
awk '{print $1, $3 + $4}' "$lc/bulk-samples" >"$lc/bulk-total"
awk '{print $1, $3}' "$lc/bulk-samples" >"$lc/bulk-create"
awk '{print $1, $4}' "$lc/bulk-samples" >"$lc/bulk-rm"
# lc_table TITLE FILE N [EXTRA-FILE LABEL]...: median/min/max of podctl and podman,
# the ratio, and the medians of the parts.
declare -A lc_median
lc_table() {
	local title=$1 file=$2 n=$3 t med min max extra i
	shift 3
	echo
	echo "$title"
	printf '%-8s %5s %10s %8s %8s' tool runs "median ms" "min ms" "max ms"
	for ((i = 2; i <= $#; i += 2)); do printf ' %12s' "${!i} med"; done
	echo
	for t in podctl podman; do
		read -r med min max <<<"$(stats "$lc/$file" $t)"
		lc_median[$file,$t]=$med
		printf '%-8s %5d %10s %8s %8s' "$t" "$n" "$med" "$min" "$max"
		for ((i = 1; i <= $#; i += 2)); do
			extra=$(stats "$lc/${!i}" $t | cut -d' ' -f1)
			printf ' %12s' "$extra"
		done
		echo
	done
	echo "podctl/podman median ratio: $(ratio "${lc_median[$file,podctl]}" "${lc_median[$file,podman]}")"
}
lc_table "two-container pod until Ready (pod create + 2 run -d [+ podctl wait --for condition=Ready]; removal not timed)" \
	ready-total "$RUNS"
lc_table "the same pod from one manifest, --network none: podctl apply -f (+ wait --for condition=Ready) vs podman kube play" \
	kube-none-samples "$RUNS"
lc_table "the same pod from one manifest, each tool's default network (pasta; podman 4.3: slirp4netns)" \
	kube-default-samples "$RUNS"
lc_table "stop + rm of an idle one-container pod (sleep 1000 ends on SIGTERM; podman: run --init)" \
	stoprm-total "$RUNS" stoprm-stop stop stoprm-rm rm
noinit=$(awk '$1 == "podman-noinit"' "$lc/lifecycle-notes")
if [ -n "$noinit" ]; then
	# shellcheck disable=SC2086
	echo "$noinit" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "podman without --init (sleep is PID 1, ignores SIGTERM), once: stop %.2f s, rm %.0f ms, exit code %s\n",
			v["stop_us"] / 1e6, v["rm_us"] / 1000, v["exit_code"] }'
fi
lc_table "$BULK_PODS pods created one by one (run -d), then removed one by one (rm -f), leak-checked" \
	bulk-total "$BULK_RUNS" bulk-create create bulk-rm rm
grep -v '^podman-noinit' "$lc/lifecycle-notes" || true
lc_table "run --rm IMAGE /bin/true, the same image of the shared store (podman: --network none)" \
	image-run-samples "$RUNS"
lc_table "load of a $(du -m "$work/load.tar" | cut -f1) MB five-layer oci-archive (the image removed after each, not timed)" \
	image-load-samples "$LOAD_RUNS"

net_start=$work/out/net-start-samples
echo
echo "start-up with each tool's default network (run --rm /bin/true, to exit)"
printf '%-12s %5s %10s %8s %8s\n' tool runs "median ms" "min ms" "max ms"
declare -A net_median
for t in podctl podctlslirp podctlbridge podman; do
	read -r med min max <<<"$(stats "$net_start" $t)"
	net_median[$t]=$med
	printf '%-12s %5d %10s %8s %8s\n' "$t" "$RUNS" "$med" "$min" "$max"
done
echo "podctl (pasta)/podman median ratio: $(ratio "${net_median[podctl]}" "${net_median[podman]}"); podctl --network slirp4netns/podman: $(ratio "${net_median[podctlslirp]}" "${net_median[podman]}"); podctl --network bridge/podman: $(ratio "${net_median[podctlbridge]}" "${net_median[podman]}")"
tput=$work/out/net-tput-samples
echo
echo "throughput through a published TCP port on loopback, iperf3 -t $TPUT_SECONDS (Gbit/s; higher is better)"
printf '%-12s %-12s %5s %8s %8s %8s\n' tool direction tests median min max
for d in host-to-pod pod-to-host; do
	for t in podctl podctlslirp podctlbridge podctlbypass podman loopback; do
		read -r med min max <<<"$(awk -v t=$t -v d=$d '$1 == t && $2 == d {print $3}' "$tput" | median_min_max)"
		printf '%-12s %-12s %5d %8.2f %8.2f %8.2f\n' "$t" "$d" "$TPUT_RUNS" "$med" "$min" "$max"
	done
done

# --- 6. nothing left behind ---
# The measuring scripts removed their pods; drop the image and the podman
# pause we started. Then the user's machine must be as the leak oracle's
# snapshot saw it (so nothing else may run as the bench user meanwhile:
# make test runs its suites after the bench, not beside it).
podman_as "$BENCH_USER" "$rundir" rmi -f "$IMAGE" "$NETIMAGE" >/dev/null 2>&1 || true
image_imported=0
podman_stop_pause
# The oracle: processes of the user, of its subordinate ids and of pid
# namespaces not its own; mount tables; descriptors; the state root, the
# image store, cgroups; all compared with the snapshot. $work is the
# bench's own temp directory.
if ! as_user "$work/leakcheck" diff -except-temp "$(basename "$work")" "$work/out/leak-before.json" >&2; then
	echo "bench: left behind (test/leak)" >&2
	exit 1
fi
pods=$(as_user "$work/podctl" ps -a | awk 'NR > 1 && $1 ~ /^podctl-bench-/' || true)
[ -z "$pods" ] || { echo "bench: podctl pods left: $pods" >&2; exit 1; }
echo
echo "nothing left running as $BENCH_USER"

# The chart beside the results when they go elsewhere (BENCH_RESULTS).
CHART=docs/benchmarks.png
[ -z "${BENCH_RESULTS:-}" ] || CHART=$RESULTS/benchmarks.png
if ((SMOKE)); then
	# One sample per tool says nothing: keep the last real run's results and
	# chart, but write both to a scratch dir (or BENCH_RESULTS), so that CI
	# checks that code too.
	RESULTS=${BENCH_RESULTS:-$work/results}
	CHART=$RESULTS/benchmarks.png
fi
mkdir -p "$RESULTS"
machine=$(jq -n --arg k "$(uname -r)" --argjson n "$(nproc)" --arg d "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg p "$(podman --version | awk '{print $3}')" --arg c "$(crun --version | awk 'NR == 1 {print $3}')" \
	--arg b "$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	'{kernel: $k, nproc: $n, date: $d, podman: $p, crun: $c, podctl_commit: $b}')

json=$RESULTS/start-latency.json
{
	echo "{"
	for t in podctl bwrap unshare podman podctlvol bwrapvol; do
		printf '  "%s": [%s],\n' "$t" \
			"$(awk -v t="$t" '$1 == t {printf "%s%.3f", n++ ? ", " : "", $2 / 1000}' "$samples")"
	done
	printf '  "machine": {"kernel": "%s", "nproc": %d, "date": "%s"}\n' \
		"$(uname -r)" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "}"
} >"$json"
echo "raw samples (ms): $json"

json=$RESULTS/exec-latency.json
jq -R -s --argjson machine "$machine" --argjson warmup "$WARMUP" --arg image "$IMAGE" '
	[split("\n")[] | select(length > 0) | split(" ") | {tool: .[0], ms: (.[1] | tonumber / 1000)}] as $s
	| def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	  def tool($t): [$s[] | select(.tool == $t) | .ms];
	{unit: "ms",
	 commands: {podctl: "podctl exec POD -- /bin/true (pod: podctl run -d --network none --rootfs ROOTFS --name POD -- sleep 1000)",
	            podman: ("podman exec CTR /bin/true (container: podman run -d --network none --name CTR " + $image + " sleep 1000)")},
	 warmup_rounds: $warmup,
	 samples: {podctl: tool("podctl"), podman: tool("podman")},
	 median: {podctl: (tool("podctl") | med), podman: (tool("podman") | med)},
	 min: {podctl: (tool("podctl") | min), podman: (tool("podman") | min)},
	 max: {podctl: (tool("podctl") | max), podman: (tool("podman") | max)}}
	| .ratio_podctl_podman = (.median.podctl / .median.podman)
	| .machine = $machine' "$exec_samples" >"$json"
echo "raw samples: $json"

json=$RESULTS/pod-memory.json
jq -R -s --argjson machine "$machine" --argjson settle "$MEM_SETTLE" --arg image "$IMAGE" \
	--rawfile sup "$work/out/supervisor-smaps" --rawfile sup0 "$work/out/supervisor-smaps-start" \
	--rawfile notes "$work/out/mem-notes" '
	def num: if . == "NA" then null else tonumber end;
	def med: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	[split("\n")[] | select(length > 0) | split(" ")
	 | {variant: .[0], pods: (.[1] | tonumber), round: (.[2] | tonumber), procs: (.[3] | tonumber),
	    vmrss: (.[4] | tonumber), rssanon: (.[5] | tonumber), rssfile: (.[6] | tonumber), pss: (.[7] | num),
	    breakdown: .[8]}] as $s
	| def per($v; $n; $f): [$s[] | select(.variant == $v and .pods == $n) | .[$f] | select(. != null) / $n];
	  def cell($v; $n): {
		rounds: [$s[] | select(.variant == $v and .pods == $n)] | length,
		processes_per_pod: (per($v; $n; "procs") | med),
		vmrss_kb_per_pod: {median: (per($v; $n; "vmrss") | med), min: (per($v; $n; "vmrss") | min),
		                   max: (per($v; $n; "vmrss") | max), samples: per($v; $n; "vmrss")},
		rssanon_kb_per_pod: {median: (per($v; $n; "rssanon") | med), samples: per($v; $n; "rssanon")},
		rssfile_kb_per_pod: {median: (per($v; $n; "rssfile") | med), samples: per($v; $n; "rssfile")},
		pss_kb_per_pod: {median: (per($v; $n; "pss") | med), samples: per($v; $n; "pss")},
		breakdown_last_round: ([$s[] | select(.variant == $v and .pods == $n)] | last | .breakdown
			| split(",") | map(split(":") | {name: .[0], processes: (.[1] | tonumber), vmrss_kb: (.[2] | tonumber)}))};
	  def variant($v): {"1": cell($v; 1), "20": cell($v; 20)};
	{unit: "kB per pod (sum over the tool'"'"'s per-pod processes, the workload excluded, / number of pods)",
	 settle_seconds: $settle,
	 variants: {
	   podctl: ({command: "podctl run -d --network none --rootfs ROOTFS --name POD -- sleep 1000", counted: "supervisor + pause"} + variant("podctl")),
	   "podman-ctr": ({command: ("podman run -d --network none --name CTR " + $image + " sleep 1000"), counted: "conmon"} + variant("podman-ctr")),
	   "podman-pod": ({command: ("podman pod create --network none --name POD; podman run -d --pod POD --name CTR " + $image + " sleep 1000"),
	                   counted: "infra conmon + infra catatonit + container conmon"} + variant("podman-pod")),
	   "podctl-net": ({command: "podctl run -d --rootfs ROOTFS --name POD -- sleep 1000 (pasta)", counted: "supervisor + pause + pasta"} + variant("podctl-net")),
	   "podctl-bridge": ({command: "podctl run -d --network bridge --rootfs ROOTFS --name POD -- sleep 1000", counted: "supervisor + pause; the shared network (podctl-netns and its pasta) with the first pod, whose supervisor started it"} + variant("podctl-bridge")),
	   "podman-podnet": ({command: ("podman pod create --name POD; podman run -d --pod POD --name CTR " + $image + " sleep 1000"),
	                      counted: "infra conmon + infra catatonit + container conmon + slirp4netns"} + variant("podman-podnet"))},
	 like_for_like: "podman-pod (podctl always keeps a pause, as a podman pod keeps its infra container)"}
	| .ratios_vmrss_median = {
		"podctl/podman-pod": {"1": (.variants.podctl["1"].vmrss_kb_per_pod.median / .variants["podman-pod"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants.podctl["20"].vmrss_kb_per_pod.median / .variants["podman-pod"]["20"].vmrss_kb_per_pod.median)},
		"podctl/podman-ctr": {"1": (.variants.podctl["1"].vmrss_kb_per_pod.median / .variants["podman-ctr"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants.podctl["20"].vmrss_kb_per_pod.median / .variants["podman-ctr"]["20"].vmrss_kb_per_pod.median)},
		"podctl-net/podman-podnet": {"1": (.variants["podctl-net"]["1"].vmrss_kb_per_pod.median / .variants["podman-podnet"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants["podctl-net"]["20"].vmrss_kb_per_pod.median / .variants["podman-podnet"]["20"].vmrss_kb_per_pod.median)},
		"podctl-bridge/podman-podnet": {"1": (.variants["podctl-bridge"]["1"].vmrss_kb_per_pod.median / .variants["podman-podnet"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants["podctl-bridge"]["20"].vmrss_kb_per_pod.median / .variants["podman-podnet"]["20"].vmrss_kb_per_pod.median)}}
	| .not_counted = "podman'"'"'s per-user rootless pause (catatonit -P), shared by all pods; the workloads"
	| def smaps: split("\n") | map(select(length > 0) | split(":") | {(.[0]): (.[1] | gsub("^ +| kB$"; "") | tonumber? // .)}) | add;
	  .podctl_supervisor_first_pod = {just_started: ($sup0 | smaps), idle: ($sup | smaps)}
	| .notes = ($notes | split("\n") | map(select(length > 0)))
	| .machine = $machine' "$mem_samples" >"$json"
echo "raw samples: $json"

# JQ_BLOCK: jq definitions for the JSON files of podctl/podman samples.
# "FILE" | block: {samples, median, min, max} by tool, and the podctl/podman
# ratio of the medians, from "TOOL MICROSECONDS" lines.
JQ_BLOCK='
	def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def samples: [split("\n")[] | select(length > 0) | split(" ") | {tool: .[0], ms: (.[1] | tonumber / 1000)}];
	def tool($t): [.[] | select(.tool == $t) | .ms];
	def block: samples as $s
		| {samples: {podctl: ($s | tool("podctl")), podman: ($s | tool("podman"))}}
		| .median = (.samples | map_values(med)) | .min = (.samples | map_values(min)) | .max = (.samples | map_values(max))
		| .ratio_podctl_podman = (.median.podctl / .median.podman);
'

json=$RESULTS/lifecycle.json
jq -n --argjson machine "$machine" --argjson warmup "$WARMUP" --arg image "$IMAGE" \
	--argjson runs "$RUNS" --argjson bulk_runs "$BULK_RUNS" --argjson bulk_pods "$BULK_PODS" --argjson settle "$MEM_SETTLE" \
	--rawfile ready "$lc/ready-total" --rawfile stoprm "$lc/stoprm-total" \
	--rawfile stop "$lc/stoprm-stop" --rawfile rm "$lc/stoprm-rm" \
	--rawfile bulk "$lc/bulk-total" --rawfile bulk_create "$lc/bulk-create" --rawfile bulk_rm "$lc/bulk-rm" \
	--rawfile kube_none "$lc/kube-none-samples" --rawfile kube_default "$lc/kube-default-samples" \
	--rawfile notes "$lc/lifecycle-notes" "$JQ_BLOCK"'
	($notes | split("\n") | map(select(startswith("podman-noinit")))[0]) as $noinit
	| {unit: "ms",
	   pod_ready: ({
		what: "a two-container pod (sleep 1000 each) from nothing to Ready; removal not timed",
		commands: {podctl: "podctl pod create --network none P; podctl run -d --pod P --name a --rootfs ROOTFS -- sleep 1000; (the same with --name b); podctl wait P --for condition=Ready --timeout 10s",
		           podman: ("podman pod create --network none --name P; podman run -d --pod P --name P-a " + $image + " sleep 1000; (the same with P-b)")},
		removal_not_timed: {podctl: "podctl rm -f P", podman: "podman pod rm -f -t 0 P"},
		runs: $runs, warmup_rounds: $warmup} + ($ready | block)),
	   kube_apply: ({
		what: "the same two-container pod (sleep 1000 each, imagePullPolicy Never) from one Pod manifest, until Ready; removal not timed",
		commands: {podctl: "podctl apply --network none -f pod.yaml; podctl wait P --for condition=Ready --timeout 10s",
		           podman: "podman kube play --network none pod.yaml"},
		removal_not_timed: {podctl: "podctl delete --grace-period=0 -f pod.yaml", podman: "podman kube down pod.yaml"},
		runs: $runs} + ($kube_none | block)),
	   kube_apply_default_network: ({
		what: "as kube_apply, each tool with its default network (podctl: pasta; podman 4.3: slirp4netns)",
		runs: $runs} + ($kube_default | block)),
	   stop_rm: ({
		what: ("stop, then remove, an idle one-container pod (made " + ($settle | tostring) + " s before) whose workload sleep 1000 ends on SIGTERM; timed: stop + rm"),
		commands: {podctl: "podctl stop -t 10 P; podctl rm P (pod: podctl run -d --network none --rootfs ROOTFS --name P -- sleep 1000; podctl pause is PID 1)",
		           podman: ("podman stop -t 10 C; podman rm C (container: podman run -d --init --network none --name C " + $image + " sleep 1000; catatonit is PID 1)")},
		checked: "podctl: the workload ended by signal 15; podman: exit code 143",
		runs: $runs, warmup_rounds: $warmup,
		stop_median: ($stop | samples | {podctl: (tool("podctl") | med), podman: (tool("podman") | med)}),
		rm_median: ($rm | samples | {podctl: (tool("podctl") | med), podman: (tool("podman") | med)}),
		podman_without_init_once: (if $noinit then ($noinit | split(" ")[1:] | map(split("=") | {(.[0]): (.[1] | tonumber)}) | add
			| {stop_ms: (.stop_us / 1000), rm_ms: (.rm_us / 1000), exit_code,
			   note: "podman run -d without --init: sleep is PID 1 and ignores SIGTERM, so podman stop waits the 10 s and kills it; not compared"}) else null end)
		} + ($stoprm | block)),
	   bulk: ({
		what: ("\($bulk_pods) pods created one command each, then removed one command each; timed: both phases"),
		pods: $bulk_pods, rounds: $bulk_runs,
		commands: {podctl: ("podctl run -d --network none --rootfs ROOTFS --name N -- sleep 1000 (x\($bulk_pods)); podctl rm -f N (x\($bulk_pods))"),
		           podman: ("podman run -d --network none --name N " + $image + " sleep 1000 (x\($bulk_pods)); podman rm -f -t 0 N (x\($bulk_pods))")},
		leak_check: "after each tool'"'"'s removal: no live process of the user that was not there before (podman'"'"'s per-user pause was), no podctl state in $XDG_RUNTIME_DIR/podctl/pods, no podman container: passed",
		create_median: ($bulk_create | samples | {podctl: (tool("podctl") | med), podman: (tool("podman") | med)}),
		rm_median: ($bulk_rm | samples | {podctl: (tool("podctl") | med), podman: (tool("podman") | med)})
		} + ($bulk | block)),
	   machine: $machine}' >"$json"
echo "raw samples: $json"

json=$RESULTS/images.json
jq -n --argjson machine "$machine" --argjson warmup "$WARMUP" --arg image "$IMAGE" --argjson runs "$RUNS" \
	--argjson load_runs "$LOAD_RUNS" --argjson load_mb "$(du -m "$work/load.tar" | cut -f1)" \
	--rawfile run "$lc/image-run-samples" --rawfile load "$lc/image-load-samples" "$JQ_BLOCK"'
	{unit: "ms",
	 run: ({what: "run /bin/true in a new container of an image, to exit, the container (and its layer) removed",
	        commands: {podctl: ("podctl run --rm --network none " + $image + " /bin/true"), podman: ("podman run --rm --network none " + $image + " /bin/true")},
	        image: "the bench busybox rootfs, imported by podman into the store both share",
	        runs: $runs, warmup_rounds: $warmup} + ($run | block)),
	 load: ({what: "load of an oci-archive: busybox plus four 25 MB layers of random bytes, gzip'"'"'d; the image removed after each load (not timed)",
	         archive_mb: $load_mb,
	         commands: {podctl: "podctl load -q -i load.tar", podman: "podman load -q -i load.tar"},
	         runs: $load_runs} + ($load | block)),
	 machine: $machine}' >"$json"
echo "raw samples: $json"

json=$RESULTS/network.json
jq -n --argjson machine "$machine" --argjson warmup "$WARMUP" --arg image "$IMAGE" --arg netimage "$NETIMAGE" \
	--argjson runs "$RUNS" --argjson tput_runs "$TPUT_RUNS" --argjson secs "$TPUT_SECONDS" \
	--rawfile start "$net_start" --rawfile tput "$tput" "$JQ_BLOCK"'
	def gbits($t; $d): [$tput | split("\n")[] | select(length > 0) | split(" ") | select(.[0] == $t and .[1] == $d) | .[2] | tonumber];
	def dir($d): {samples: {podctl: gbits("podctl"; $d), podctl_slirp4netns: gbits("podctlslirp"; $d),
	                        podctl_bridge: gbits("podctlbridge"; $d), podman: gbits("podman"; $d),
	                        podctl_port_bypass: gbits("podctlbypass"; $d), host_loopback: gbits("loopback"; $d)}}
		| .median = (.samples | map_values(med)) | .min = (.samples | map_values(min)) | .max = (.samples | map_values(max))
		| .ratio_podctl_podman = (.median.podctl / .median.podman);
	($start | samples) as $s
	| {start: ({what: "run /bin/true to exit with each tool'"'"'s default network; unit ms",
	           commands: {podctl: "podctl run --rm --rootfs ROOTFS -- /bin/true (pasta)",
	                      podctl_slirp4netns: "podctl run --rm --network slirp4netns --rootfs ROOTFS -- /bin/true",
	                      podctl_bridge: "podctl run --rm --network bridge --rootfs ROOTFS -- /bin/true (another bridge pod keeps the shared network up)",
	                      podman: ("podman run --rm " + $image + " /bin/true (slirp4netns)")},
	           runs: $runs, warmup_rounds: $warmup,
	           samples: {podctl: ($s | tool("podctl")), podctl_slirp4netns: ($s | tool("podctlslirp")),
	                     podctl_bridge: ($s | tool("podctlbridge")), podman: ($s | tool("podman"))}}
	           | .median = (.samples | map_values(med)) | .ratio_podctl_podman = (.median.podctl / .median.podman)
	           | .ratio_podctl_slirp4netns_podman = (.median.podctl_slirp4netns / .median.podman)
	           | .ratio_podctl_bridge_podman = (.median.podctl_bridge / .median.podman)),
	   throughput: {what: "iperf3 through a TCP port published on 127.0.0.1, the server in the pod, the client on the host; pod-to-host is iperf3 -R over the same port; unit Gbit/s",
	                commands: {podctl: "podctl run -d -p 127.0.0.1:P:5201 --rootfs NETROOT -- iperf3 -s (pasta)",
	                           podctl_slirp4netns: "podctl run -d --network slirp4netns -p 127.0.0.1:P:5201 --rootfs NETROOT -- iperf3 -s",
	                           podctl_bridge: "podctl run -d --network bridge -p 127.0.0.1:P:5201 --rootfs NETROOT -- iperf3 -s (podctl'"'"'s own forwarder)",
	                           podman: ("podman run -d -p 127.0.0.1:P:5201 " + $netimage + " iperf3 -s (slirp4netns, rootlessport)"),
	                           podctl_port_bypass: "podctl run -d --port-bypass -p 127.0.0.1:P:5201 --rootfs NETROOT -- iperf3 -s (pasta; the listener bound on the host)",
	                           host_loopback: "iperf3 -s -B 127.0.0.1 on the host itself: no namespace, no forwarding (the ceiling)",
	                           client: ("iperf3 -c 127.0.0.1 -p P -t \($secs) -J [-R]")},
	                tests: $tput_runs, seconds: $secs,
	                "host-to-pod": dir("host-to-pod"), "pod-to-host": dir("pod-to-host")},
	   machine: $machine}' >"$json"
echo "raw samples: $json"

# The chart and the table of ratios (docs/benchmarks.md has a copy).
if command -v gnuplot >/dev/null; then
	bash test/bench/chart.sh "$RESULTS" "$CHART"
	echo "chart: $CHART"
else
	echo "bench: gnuplot missing: $CHART not redrawn" >&2
fi
cp "$work/out/procs.md" "$work/out/procs-details.txt" "$work/out/cri.json" "$work/out/cri.txt" "$RESULTS/"
bash test/bench/ratios.sh "$RESULTS" >"$RESULTS/ratios.md"
echo
cat "$RESULTS/ratios.md"
if ((SMOKE)); then
	echo "(smoke run: results and chart written to $RESULTS, not to test/bench/results and docs)"
fi
echo "bench took $SECONDS s"
