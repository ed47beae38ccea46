#!/bin/bash
# `make bench`: start-up latency of a one-container pod, side by side with
# bubblewrap and a bare `unshare` (the floor: namespaces and nothing else),
# plus the resident size of the pause. See test/bench/README.md.
#
# Run by root: like test/run-tests.sh it prepares the Debian packages, an
# unprivileged user with subordinate ids and a private XDG_RUNTIME_DIR, then
# measures rootless, as that user.
#
#   test/bench/run.sh            BENCH_RUNS (default 20) runs per tool, after 3 warm-up rounds
#   test/bench/run.sh --smoke    1 run per tool, no warm-up (CI: does it all still work?)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

RUNS=${BENCH_RUNS:-20}
WARMUP=3
SMOKE=0
BENCH_USER=${PODCTL_BENCH_USER:-podctl-test}
RESULTS=test/bench/results

case "${1:-}" in
"") ;;
--smoke) SMOKE=1 RUNS=1 WARMUP=0 ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (make bench); it sets up user $BENCH_USER" >&2; exit 1; }
[ -x bin/podctl ] || { echo "bench: bin/podctl missing; run make build" >&2; exit 1; }

# --- 1. packages (apt only when something is missing) ---
missing=()
command -v busybox >/dev/null || missing+=(busybox-static)
command -v newuidmap >/dev/null || missing+=(uidmap)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v pgrep >/dev/null || missing+=(procps)
if ((${#missing[@]})); then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
BUSYBOX=$(command -v busybox)
# The rootfs has no libc: a dynamic busybox (package busybox) would not run in it.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "bench: $BUSYBOX is dynamically linked; install busybox-static" >&2
	exit 1
fi

# --- 2. the bench user, its subordinate ids and runtime dir (as test/run-tests.sh) ---
setup_test_user "$BENCH_USER"

# --- 3. a busybox rootfs and a copy of podctl the user can reach ---
work=$(mktemp -d /tmp/podctl-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
rootfs=$work/rootfs
make_busybox_rootfs "$rootfs"
chown -R "$BENCH_USER:" "$rootfs"
cp bin/podctl "$work/podctl"
chmod 755 "$work/podctl"
# The inner script writes its samples and stderr captures here.
mkdir "$work/out"
chown "$BENCH_USER:" "$work/out"

# --- 4 and 6. the measuring script, run once as the user so su's cost stays out of the loop ---
cat >"$work/measure.sh" <<'EOF'
#!/bin/bash
# Runs as the bench user. Args: WORKDIR RUNS WARMUP.
# Writes "TOOL MICROSECONDS" lines to WORKDIR/out/samples; prints notes on stdout.
set -euo pipefail
work=$1 runs=$2 warmup=$3
rootfs=$work/rootfs out=$work/out podctl=$work/podctl
err=$out/stderr

cmd_podctl=("$podctl" run --rm --rootfs "$rootfs" -- /bin/true)
cmd_bwrap=(bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev /bin/true)
cmd_unshare=(unshare -Urnpim --fork --root="$rootfs" /bin/true)

die() { echo "bench: $*" >&2; exit 1; }

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

# time_one TOOL: run it once and append its wall time. EPOCHREALTIME is a
# bash builtin (microseconds): timing with $(date +%s%N) would add two
# fork+exec of date, about a millisecond, to every sample.
time_one() {
	local -n cmd=cmd_$1
	local t0 t1 rc
	t0=${EPOCHREALTIME//[!0-9]/}
	"${cmd[@]}" </dev/null >/dev/null 2>"$err" && rc=0 || rc=$?
	t1=${EPOCHREALTIME//[!0-9]/}
	if ((rc != 0)); then
		echo "bench: $1 failed (exit $rc): ${cmd[*]}" >&2
		sed 's/^/    /' "$err" >&2
		exit 1
	fi
	sample=$((t1 - t0))
}

tools=(podctl bwrap unshare)
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
"$podctl" run --rm --rootfs "$rootfs" -- /bin/sh -c 'echo ready; sleep 30' \
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

echo "== podctl start-up latency, rootless as $BENCH_USER: $RUNS runs per tool, $WARMUP warm-up rounds"
su "$BENCH_USER" -s /bin/bash -c "cd $work && env XDG_RUNTIME_DIR=$rundir USER=$BENCH_USER $work/measure.sh $work $RUNS $WARMUP"

# --- 5. the table, ratios and raw samples ---
samples=$work/out/samples
# stats TOOL: "median min max" in ms.
stats() {
	awk -v t="$1" '$1 == t {print $2}' "$samples" | sort -n | awk '
		{ v[NR] = $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.2f %.2f %.2f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}
echo
printf '%-8s %5s %10s %8s %8s\n' tool runs "median ms" "min ms" "max ms"
declare -A median
for t in podctl bwrap unshare; do
	read -r med min max <<<"$(stats $t)"
	median[$t]=$med
	printf '%-8s %5d %10s %8s %8s\n' "$t" "$RUNS" "$med" "$min" "$max"
done
echo
for peer in bwrap unshare; do
	awk -v a="${median[podctl]}" -v b="${median[$peer]}" -v p="$peer" \
		'BEGIN { printf "podctl/%s median ratio: %.2f\n", p, a / b }'
done
cat "$work/out/unshare-cmd"

mkdir -p "$RESULTS"
if ((SMOKE)); then
	# One sample per tool says nothing; keep the last real run's results.
	echo "(smoke run: $RESULTS/start-latency.json not written)"
	exit 0
fi
json=$RESULTS/start-latency.json
{
	echo "{"
	for t in podctl bwrap unshare; do
		printf '  "%s": [%s],\n' "$t" \
			"$(awk -v t="$t" '$1 == t {printf "%s%.3f", n++ ? ", " : "", $2 / 1000}' "$samples")"
	done
	printf '  "machine": {"kernel": "%s", "nproc": %d, "date": "%s"}\n' \
		"$(uname -r)" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "}"
} >"$json"
echo "raw samples (ms): $json"
