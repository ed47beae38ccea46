#!/bin/bash
# Pod life-cycle timings, run by test/bench/run.sh as the bench user
# (rootless). Args: WORKDIR RUNS WARMUP IMAGE BULK_RUNS BULK_N SETTLE NOINIT.
#
# 1. ready: a pod of two containers (`sleep 1000` each), from nothing to
#    Ready; then removed (not timed).
#      podctl  pod create P; run -d --pod P (x2); wait P --for condition=Ready
#      podman  pod create --network none P; run -d --pod P (x2)
#              (podman run -d returns once the container runs)
# 2. stoprm: stop, then remove, an idle one-container pod whose workload
#    `sleep 1000` dies on SIGTERM (both have an init as PID 1, so sleep is
#    not PID 1 and keeps SIGTERM's default action):
#      podctl  stop -t 10 P; rm P          (pod from run -d ... sleep 1000;
#                                            podctl's pause is PID 1)
#      podman  stop -t 10 C; rm C          (container from run -d --init ...:
#                                            catatonit is PID 1)
#    The pods and containers are made first, all at once, and left SETTLE
#    seconds so that they are idle (podctl's supervisor hibernates after 2 s).
#    Each tool must report the workload killed by SIGTERM (signal 15, exit
#    code 143), not by the SIGKILL after the 10 s.
#    With NOINIT=1, once (not compared): podman without --init, where sleep
#    is PID 1, ignores SIGTERM and podman stop waits the full 10 s.
# 3. bulk: BULK_N pods created one command each, then removed one command
#    each; then nothing of them may be left: no process of the user that was
#    not there when this script started (podman's per-user pause was), no
#    podctl state (XDG_RUNTIME_DIR/podctl/pods), no podman container.
#      podctl  run -d --rootfs ROOTFS --name N -- sleep 1000 (xN); rm -f N (xN)
#      podman  run -d --network none --name N IMAGE sleep 1000 (xN);
#              rm -f -t 0 N (xN)   (-t 0: SIGKILL at once, as podctl rm -f)
#
# The tools alternate within every round. Writes, under WORKDIR/out:
#   ready-samples   TOOL MICROSECONDS
#   stoprm-samples  TOOL STOP_US RM_US
#   bulk-samples    TOOL ROUND CREATE_US RM_US
#   lifecycle-notes free text (the NOINIT sample, the leak checks)
set -euo pipefail
work=$1 runs=$2 warmup=$3 image=$4 bulk_runs=$5 bulk_n=$6 settle=$7 noinit=$8
rootfs=$work/rootfs out=$work/out podctl=$work/podctl
err=$out/lifecycle-stderr
prefix=podctl-bench-lc
pods_dir=$XDG_RUNTIME_DIR/podctl/pods

. "$work/user-lib.sh"

cleanup_all
trap cleanup_all EXIT

# What was there before us is not ours to account for: the user's live
# processes (podman's rootless pause among them) and podctl's pod states.
ps -u "$USER" -o pid=,stat= | awk '$2 !~ /^Z/ {print $1}' >"$out/lc-procs-before"
ls -A "$pods_dir" 2>/dev/null >"$out/lc-pods-before" || true

# run_ok CMD...: run it, quiet; stop the benchmark with its stderr if it fails.
run_ok() {
	"$@" </dev/null >/dev/null 2>"$err" || {
		local rc=$?
		echo "bench: failed (exit $rc): $*" >&2
		sed 's/^/    /' "$err" >&2
		exit 1
	}
}
now() { echo "${EPOCHREALTIME//[!0-9]/}"; }

# new_live: the user's live processes (zombies left out: PID 1 here reaps
# orphans seconds late) that were not there when we started, other than
# this shell, the subshell running this function, podman's pause and
# podctl's per-user namespace holder (userns_holder); "PID ARGS" each.
new_live() {
	local pause pid st
	pause=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null || true)
	ps -u "$USER" -o pid= >"$out/lc-procs-now"
	for pid in $(grep -vxF -f "$out/lc-procs-before" "$out/lc-procs-now" | tr -d ' '); do
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] && [ "$pid" != "$pause" ] || continue
		! userns_holder "$pid" || continue
		# (ps itself is in its own list, gone by now.)
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || continue
		[ -n "$st" ] && [ "$st" != Z ] || continue
		echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
}

# no_leaks TOOL WHAT: after removal, nothing of ours may be left (processes
# get up to 10 s to go).
no_leaks() {
	local tool=$1 what=$2 i left
	for ((i = 0; i < 100; i++)); do
		left=$(new_live)
		[ -n "$left" ] || break
		sleep 0.1
	done
	[ -z "$left" ] || die "$tool, $what: processes left running: ${left//$'\n'/; }"
	left=$(ls -A "$pods_dir" 2>/dev/null | grep -vxF -f "$out/lc-pods-before" || true)
	[ -z "$left" ] || die "$tool, $what: podctl state left in $pods_dir: ${left//$'\n'/ }"
	left=$({ "$podctl" ps -a; podman pod ps --format '{{.Name}}'; podman ps -a --format '{{.Names}}'; } 2>&1 |
		grep -- "$prefix-" || true)
	[ -z "$left" ] || die "$tool, $what: left after removal: ${left//$'\n'/ }"
}

# --- 1. two-container pod until Ready ---
ready_round() {
	local tool=$1 record=$2 pod=$prefix-ready t0 t1 n
	t0=$(now)
	case $tool in
	podctl)
		run_ok "$podctl" pod create --network none "$pod"
		run_ok "$podctl" run -d --pod "$pod" --name a --rootfs "$rootfs" -- sleep 1000
		run_ok "$podctl" run -d --pod "$pod" --name b --rootfs "$rootfs" -- sleep 1000
		run_ok "$podctl" wait "$pod" --for condition=Ready --timeout 10s
		;;
	podman)
		run_ok podman pod create --network none --name "$pod"
		run_ok podman run -d --pod "$pod" --name "$pod-a" "$image" sleep 1000
		run_ok podman run -d --pod "$pod" --name "$pod-b" "$image" sleep 1000
		;;
	esac
	t1=$(now)
	# Not timed: is it really up? Then remove it.
	case $tool in
	podctl)
		n=$("$podctl" ps --format json | jq --arg p "$pod" '[.[] | select(.spec.name == $p) | .containers[] | select(.ready and .state.running)] | length')
		((n == 2)) || die "podctl: pod $pod has $n ready containers, not 2"
		run_ok "$podctl" rm -f "$pod"
		;;
	podman)
		# The infra container and the two.
		n=$(podman ps --filter "pod=$pod" --filter status=running -q | wc -l)
		((n == 3)) || die "podman: pod $pod has $n running containers, not 3"
		run_ok podman pod rm -f -t 0 "$pod"
		;;
	esac
	((record)) && echo "$tool $((t1 - t0))" >>"$out/ready-samples"
	return 0
}

: >"$out/ready-samples"
for ((i = 0; i < warmup + runs; i++)); do
	for tool in podctl podman; do ready_round $tool $((i >= warmup)); done
done
no_leaks both "two-container pods"

# --- 1b. the same pod from a manifest: podctl apply vs podman kube play ---
# One Pod manifest, two containers (sleep 1000 each) of the bench image,
# imagePullPolicy Never, for both tools; timed until Ready (podctl apply,
# then podctl wait; podman kube play returns once its containers run).
manifest=$out/kube-pod.yaml
cat >"$manifest" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $prefix-kube
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: a, image: $image, imagePullPolicy: Never, command: [/bin/sleep, "1000"]}
  - {name: b, image: $image, imagePullPolicy: Never, command: [/bin/sleep, "1000"]}
YAML
# Both with --network none (like for like, as above), and both with their
# default network (pasta for podctl, slirp4netns for podman 4.3).
kube_round() {
	local tool=$1 record=$2 net=$3 pod=$prefix-kube t0 t1 n netflag=()
	[ "$net" = none ] && netflag=(--network none)
	t0=$(now)
	case $tool in
	podctl)
		run_ok "$podctl" apply "${netflag[@]}" -f "$manifest"
		run_ok "$podctl" wait "$pod" --for condition=Ready --timeout 10s
		;;
	podman)
		run_ok podman kube play "${netflag[@]}" "$manifest"
		;;
	esac
	t1=$(now)
	case $tool in
	podctl)
		n=$("$podctl" ps --format json | jq --arg p "$pod" '[.[] | select(.spec.name == $p) | .containers[] | select(.ready and .state.running)] | length')
		((n == 2)) || die "podctl: pod $pod has $n ready containers, not 2"
		run_ok "$podctl" delete --grace-period=0 -f "$manifest"
		;;
	podman)
		n=$(podman ps --filter "pod=$pod" --filter status=running -q | wc -l)
		((n == 3)) || die "podman: pod $pod has $n running containers, not 3"
		run_ok podman kube down "$manifest"
		;;
	esac
	((record)) && echo "$tool $((t1 - t0))" >>"$out/kube-$net-samples"
	return 0
}
for net in none default; do
	: >"$out/kube-$net-samples"
	for ((i = 0; i < warmup + runs; i++)); do
		for tool in podctl podman; do kube_round $tool $((i >= warmup)) $net; done
	done
done
no_leaks both "kube apply and kube play"

# --- 2. stop + rm of an idle one-container pod ---
n=$((warmup + runs))
for ((i = 1; i <= n; i++)); do
	run_ok "$podctl" run -d --network none --rootfs "$rootfs" --name "$prefix-stop-$i" -- sleep 1000
	run_ok podman run -d --init --network none --name "$prefix-stop-$i" "$image" sleep 1000
done
sleep "$settle"
: >"$out/stoprm-samples"
for ((i = 1; i <= n; i++)); do
	name=$prefix-stop-$i
	# podctl
	t0=$(now)
	run_ok "$podctl" stop -t 10 "$name"
	t1=$(now)
	sig=$("$podctl" inspect "$name" | jq -r '.containers[0].state.terminated.signal // "none"')
	[ "$sig" = 15 ] || die "podctl stop: $name's workload ended by signal $sig, not SIGTERM"
	t2=$(now)
	run_ok "$podctl" rm "$name"
	t3=$(now)
	((i > warmup)) && echo "podctl $((t1 - t0)) $((t3 - t2))" >>"$out/stoprm-samples"
	# podman
	t0=$(now)
	run_ok podman stop -t 10 "$name"
	t1=$(now)
	code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
	[ "$code" = 143 ] || die "podman stop: $name exited with $code, not 143 (SIGTERM)"
	t2=$(now)
	run_ok podman rm "$name"
	t3=$(now)
	((i > warmup)) && echo "podman $((t1 - t0)) $((t3 - t2))" >>"$out/stoprm-samples"
done
: >"$out/lifecycle-notes"
if ((noinit)); then
	# Once, for the record: podman's default (no --init), sleep as PID 1.
	name=$prefix-noinit
	run_ok podman run -d --network none --name "$name" "$image" sleep 1000
	sleep "$settle"
	t0=$(now)
	run_ok podman stop -t 10 "$name"
	t1=$(now)
	code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
	run_ok podman rm "$name"
	t2=$(now)
	echo "podman-noinit stop_us=$((t1 - t0)) rm_us=$((t2 - t1)) exit_code=$code" >>"$out/lifecycle-notes"
fi
no_leaks both "stop + rm"

# --- 3. BULK_N pods created, then removed ---
: >"$out/bulk-samples"
for ((r = 1; r <= bulk_runs; r++)); do
	for tool in podctl podman; do
		t0=$(now)
		for ((k = 1; k <= bulk_n; k++)); do
			case $tool in
			podctl) run_ok "$podctl" run -d --network none --rootfs "$rootfs" --name "$prefix-bulk-$k" -- sleep 1000 ;;
			podman) run_ok podman run -d --network none --name "$prefix-bulk-$k" "$image" sleep 1000 ;;
			esac
		done
		t1=$(now)
		# Not timed: all of them up?
		case $tool in
		podctl) up=$("$podctl" ps --format json | jq --arg p "^$prefix-bulk-" '[.[] | select((.spec.name | test($p)) and .phase == "Running")] | length') ;;
		podman) up=$(podman ps --filter status=running --format '{{.Names}}' | grep -c "^$prefix-bulk-" || true) ;;
		esac
		((up == bulk_n)) || die "$tool: $up of $bulk_n pods running"
		t2=$(now)
		for ((k = 1; k <= bulk_n; k++)); do
			case $tool in
			podctl) run_ok "$podctl" rm -f "$prefix-bulk-$k" ;;
			podman) run_ok podman rm -f -t 0 "$prefix-bulk-$k" ;;
			esac
		done
		t3=$(now)
		no_leaks $tool "$bulk_n pods, round $r"
		echo "$tool $r $((t1 - t0)) $((t3 - t2))" >>"$out/bulk-samples"
	done
done
echo "leak checks passed: after the two-container pods, after stop + rm, and after each tool's $bulk_n pods in each of $bulk_runs round(s)" >>"$out/lifecycle-notes"
