#!/bin/bash
# `make bench`: rootless, side by side with peers (see test/bench/README.md):
# - start-up latency of a one-container pod, next to bubblewrap and a bare
#   `unshare` (the floor: namespaces and nothing else), plus the pause's RSS;
# - exec latency into a running container: podctl exec vs podman exec;
# - memory each tool adds per idle one-container pod (workload excluded),
#   for 1 and 20 pods: podctl vs podman (a container, and a pod with infra).
#
# Run by root: like test/run-tests.sh it prepares the Debian packages, an
# unprivileged user with subordinate ids and a private XDG_RUNTIME_DIR, and
# rootless podman for that user (test/bench/podman.sh), then measures as
# that user.
#
#   test/bench/run.sh            BENCH_RUNS (default 20) runs per tool, after 3 warm-up rounds;
#                                memory: BENCH_RUNS rounds of 1 pod, BENCH_MEM20_RUNS (default 5) of 20
#   test/bench/run.sh --smoke    1 run of each, no warm-up (CI: does it all still work?)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
. test/bench/podman.sh

RUNS=${BENCH_RUNS:-20}
MEM20_RUNS=${BENCH_MEM20_RUNS:-5}
WARMUP=3
SMOKE=0
# Seconds between starting the pods and reading their memory: idle pods,
# so longer than the 2 s after which podctl's detached supervisor, idle,
# hibernates (execs its small C keeper in place; sandbox/hibernate.go).
MEM_SETTLE=3
IMAGE=localhost/podctl-bench-busybox
BENCH_USER=${PODCTL_BENCH_USER:-podctl-test}
RESULTS=test/bench/results

case "${1:-}" in
"") ;;
--smoke) SMOKE=1 RUNS=1 MEM20_RUNS=1 WARMUP=0 ;;
*) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2; }
[[ $MEM20_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_MEM20_RUNS must be a positive integer" >&2; exit 2; }
((MEM20_RUNS <= RUNS)) || MEM20_RUNS=$RUNS
[ "$(id -u)" = 0 ] || { echo "bench: run as root (make bench); it sets up user $BENCH_USER" >&2; exit 1; }
[ -x bin/podctl ] || { echo "bench: bin/podctl missing; run make build" >&2; exit 1; }

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
# The user's processes before we start: the leak check at the end compares.
{ ps -u "$BENCH_USER" -o pid=,stat= || true; } | awk '$2 !~ /^Z/ {print $1}' >"/tmp/podctl-bench-before.$$"

# --- 3. a busybox rootfs and a copy of podctl the user can reach ---
work=$(mktemp -d /tmp/podctl-bench.XXXXXX)
mv "/tmp/podctl-bench-before.$$" "$work/procs-before"
# On any exit: the image we imported, the podman pause we started, the files.
# (The measuring scripts remove their own pods and containers.)
cleanup() {
	if ((image_imported)); then
		podman_as "$BENCH_USER" "$rundir" rmi -f "$IMAGE" >/dev/null 2>&1 || true
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
cp bin/podctl "$work/podctl"
cp test/bench/exec.sh test/bench/memory.sh "$work/"
chmod 755 "$work/podctl" "$work/exec.sh" "$work/memory.sh"
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

# as_user CMD...: run CMD as the bench user, in $work, with its runtime dir.
as_user() {
	su "$BENCH_USER" -s /bin/bash -c 'cd "$0" && exec env XDG_RUNTIME_DIR="$1" USER="$2" "${@:3}"' \
		-- "$work" "$rundir" "$BENCH_USER" "$@"
}

# --- 3b. rootless podman for the user (test/bench/podman.sh) ---
podman_user_config "$BENCH_USER"
podman_start_pause "$BENCH_USER" "$rundir"
# The same busybox rootfs as an image, owned by root inside it as podctl's
# rootfs is (the user's own uid maps to root in both); built locally, no pull.
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
	podman_as "$BENCH_USER" "$rundir" import -q - "$IMAGE" >/dev/null 2>"$work/out/import.err" ||
	{ echo "bench: podman import failed:" >&2; cat "$work/out/import.err" >&2; exit 1; }
image_imported=1

echo "== podctl start-up latency, rootless as $BENCH_USER: $RUNS runs per tool, $WARMUP warm-up rounds"
as_user "$work/measure.sh" "$work" "$RUNS" "$WARMUP"

echo "== exec latency, podctl exec vs podman exec: $RUNS runs per tool, $WARMUP warm-up rounds"
as_user "$work/exec.sh" "$work" "$RUNS" "$WARMUP" "$IMAGE"
echo "== memory per idle pod: $RUNS rounds of 1 pod, $MEM20_RUNS of 20 pods, per variant"
as_user "$work/memory.sh" "$work" "$RUNS" "$MEM20_RUNS" "$IMAGE" "$MEM_SETTLE"
touch "$work/out/supervisor-smaps" "$work/out/supervisor-smaps-start" "$work/out/mem-notes"

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
for t in podctl bwrap unshare; do
	read -r med min max <<<"$(stats "$samples" $t)"
	median[$t]=$med
	printf '%-8s %5d %10s %8s %8s\n' "$t" "$RUNS" "$med" "$min" "$max"
done
for peer in bwrap unshare; do
	echo "podctl/$peer median ratio: $(ratio "${median[podctl]}" "${median[$peer]}")"
done
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
	for v in podctl podman-ctr podman-pod; do
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

# --- 6. nothing left behind ---
# The measuring scripts removed their pods; drop the image and the podman
# pause we started. Then a leak is a live process of the user (zombies do
# not count: PID 1 reaps orphans late here), not there before, that is
# podman's (conmon, catatonit, ...) or whose command line, or an ancestor's,
# names podctl-bench (the work dir, the pods). Other processes of the user
# are left out: `make test` runs its end-to-end suite as the same user.
podman_as "$BENCH_USER" "$rundir" rmi -f "$IMAGE" >/dev/null 2>&1 || true
image_imported=0
podman_stop_pause
bench_leaks() {
	{ ps -u "$BENCH_USER" -o pid=,ppid=,stat=,args= || true; } | awk -v before="$work/procs-before" '
		BEGIN { while ((getline p <before) > 0) old[p] = 1 }
		$3 !~ /^Z/ {
			pid = $1; parent[pid] = $2; live[pid] = 1
			args = $0; sub(/^ *[0-9]+ +[0-9]+ +[^ ]+ +/, "", args); cmd[pid] = args
			name = $4; sub(/.*\//, "", name)
			if (args ~ /podctl-bench/ || name ~ /^(conmon|catatonit|podman|crun|slirp4netns|rootlessport|pasta)$/) ours[pid] = 1
		}
		END {
			for (pid in live) {
				if (pid in old) continue
				for (p = pid; p in parent && p + 0 > 1; p = parent[p])
					if (p in ours) { print pid, cmd[pid]; break }
			}
		}'
}
leaks=
for ((i = 0; i < 50; i++)); do
	leaks=$(bench_leaks)
	[ -n "$leaks" ] || break
	sleep 0.1
done
if [ -n "$leaks" ]; then
	echo "bench: processes of $BENCH_USER left running:" >&2
	echo "$leaks" >&2
	exit 1
fi
pods=$(as_user "$work/podctl" ps -a | awk 'NR > 1 && $1 ~ /^podctl-bench-/' || true)
[ -z "$pods" ] || { echo "bench: podctl pods left: $pods" >&2; exit 1; }
echo
echo "nothing left running as $BENCH_USER"

mkdir -p "$RESULTS"
if ((SMOKE)); then
	# One sample per tool says nothing; keep the last real run's results.
	echo "(smoke run: $RESULTS/*.json not written)"
	exit 0
fi
machine=$(jq -n --arg k "$(uname -r)" --argjson n "$(nproc)" --arg d "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg p "$(podman --version | awk '{print $3}')" --arg c "$(crun --version | awk 'NR == 1 {print $3}')" \
	--arg b "$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	'{kernel: $k, nproc: $n, date: $d, podman: $p, crun: $c, podctl_commit: $b}')

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

json=$RESULTS/exec-latency.json
jq -R -s --argjson machine "$machine" --argjson warmup "$WARMUP" --arg image "$IMAGE" '
	[split("\n")[] | select(length > 0) | split(" ") | {tool: .[0], ms: (.[1] | tonumber / 1000)}] as $s
	| def med: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	  def tool($t): [$s[] | select(.tool == $t) | .ms];
	{unit: "ms",
	 commands: {podctl: "podctl exec POD -- /bin/true (pod: podctl run -d --rootfs ROOTFS --name POD -- sleep 1000)",
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
	   podctl: ({command: "podctl run -d --rootfs ROOTFS --name POD -- sleep 1000", counted: "supervisor + pause"} + variant("podctl")),
	   "podman-ctr": ({command: ("podman run -d --network none --name CTR " + $image + " sleep 1000"), counted: "conmon"} + variant("podman-ctr")),
	   "podman-pod": ({command: ("podman pod create --network none --name POD; podman run -d --pod POD --name CTR " + $image + " sleep 1000"),
	                   counted: "infra conmon + infra catatonit + container conmon"} + variant("podman-pod"))},
	 like_for_like: "podman-pod (podctl always keeps a pause, as a podman pod keeps its infra container)"}
	| .ratios_vmrss_median = {
		"podctl/podman-pod": {"1": (.variants.podctl["1"].vmrss_kb_per_pod.median / .variants["podman-pod"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants.podctl["20"].vmrss_kb_per_pod.median / .variants["podman-pod"]["20"].vmrss_kb_per_pod.median)},
		"podctl/podman-ctr": {"1": (.variants.podctl["1"].vmrss_kb_per_pod.median / .variants["podman-ctr"]["1"].vmrss_kb_per_pod.median),
		                      "20": (.variants.podctl["20"].vmrss_kb_per_pod.median / .variants["podman-ctr"]["20"].vmrss_kb_per_pod.median)}}
	| .not_counted = "podman'"'"'s per-user rootless pause (catatonit -P), shared by all pods; the workloads"
	| def smaps: split("\n") | map(select(length > 0) | split(":") | {(.[0]): (.[1] | gsub("^ +| kB$"; "") | tonumber? // .)}) | add;
	  .podctl_supervisor_first_pod = {just_started: ($sup0 | smaps), idle: ($sup | smaps)}
	| .notes = ($notes | split("\n") | map(select(length > 0)))
	| .machine = $machine' "$mem_samples" >"$json"
echo "raw samples: $json"
