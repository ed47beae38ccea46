#!/bin/bash
# Memory added per idle pod, run by test/bench/run.sh as the bench user.
# Args: WORKDIR RUNS1 RUNS20 IMAGE SETTLE_SECONDS.
#
# For each variant, N idle pods (N = 1, then 20) whose one container runs
# `sleep 1000`; after SETTLE seconds (more than the 2 s after which podctl's
# idle supervisor hibernates into its C keeper), the memory of every process the tool
# keeps for those pods, the workloads excluded, is summed:
#   podctl      podctl run -d: its supervisor and pause
#   podman-ctr  podman run -d --network none: conmon
#   podman-pod  podman pod create --network none, then
#               podman run -d --pod: infra conmon, infra catatonit, the
#               container's conmon
# and with each tool's default network:
#   podctl-net  podctl run -d: supervisor, pause and pasta
#   podctl-bridge  podctl run -d --network bridge: supervisor and pause;
#               the shared network (podctl-netns, its pasta) is the first
#               pod's supervisor's children, so counted with that pod
#   podman-podnet  podman pod create, then podman run -d --pod: as
#               podman-pod, plus the pod's slirp4netns
# Appends one line per sample to WORKDIR/out/mem-samples:
#   VARIANT N ROUND PROCS VMRSS_KB RSSANON_KB RSSFILE_KB PSS_KB BREAKDOWN
# (totals over the N pods; BREAKDOWN is name:count:VmRSS-kB,...), and lines
# about processes it could not attribute to WORKDIR/out/mem-notes.
set -euo pipefail
work=$1 runs1=$2 runs20=$3 image=$4 settle=$5
rootfs=$work/rootfs out=$work/out podctl=$work/podctl
err=$out/mem-stderr
prefix=podctl-bench-mem
variants=(podctl podman-ctr podman-pod podctl-net podctl-bridge podman-podnet)

. "$work/user-lib.sh"


# live_procs: "PID PPID" of the user's processes, zombies left out (PID 1
# here reaps orphans seconds late).
live_procs() { ps -u "$USER" -o pid=,ppid=,stat= | awk '$3 !~ /^Z/ {print $1, $2}'; }

create() {
	local v=$1 n=$2 k name
	for ((k = 1; k <= n; k++)); do
		name=$prefix-$k
		case $v in
		podctl)
			"$podctl" run -d --network none --rootfs "$rootfs" --name "$name" -- sleep 1000 ;;
		podman-ctr)
			podman run -d --name "$name" --network none "$image" sleep 1000 ;;
		podman-pod)
			podman pod create --name "$name" --network none &&
				podman run -d --pod "$name" --name "$name-c" "$image" sleep 1000 ;;
		podctl-net)
			"$podctl" run -d --rootfs "$rootfs" --name "$name" -- sleep 1000 ;;
		podctl-bridge)
			"$podctl" run -d --network bridge --rootfs "$rootfs" --name "$name" -- sleep 1000 ;;
		podman-podnet)
			podman pod create --name "$name" &&
				podman run -d --pod "$name" --name "$name-c" "$image" sleep 1000 ;;
		esac </dev/null >/dev/null 2>"$err" || die "$v: creating $name failed: $(cat "$err")"
	done
}

remove() {
	local v=$1 n=$2 names
	names=$(seq -f "$prefix-%g" "$n")
	case $v in
	podctl | podctl-net | podctl-bridge) "$podctl" rm -f $names ;;
	podman-ctr) podman rm -f -t 0 $names ;;
	podman-pod | podman-podnet) podman pod rm -f -t 0 $names ;;
	esac </dev/null >/dev/null 2>"$err" || die "$v: removing the pods failed: $(cat "$err")"
}

# roots_and_workloads VARIANT N: writes $out/roots (the per-pod processes
# the tool made, whose subtrees are the pods) and $out/workloads (the
# containers' own processes, left out of the sum with their subtrees).
roots_and_workloads() {
	local v=$1 n=$2 k ids
	: >"$out/roots"
	: >"$out/workloads"
	if [ "${v%-*}" = podctl ] || [ "$v" = podctl ]; then
		for ((k = 1; k <= n; k++)); do
			"$podctl" inspect "$prefix-$k" >"$out/state.json" 2>"$err" ||
				die "podctl inspect $prefix-$k: $(cat "$err")"
			# The helper is the supervisor's child: counted with it.
			jq -r '.supervisor.pid, .pause.pid' "$out/state.json" >>"$out/roots"
			jq -r '.containers[].process.pid' "$out/state.json" >>"$out/workloads"
		done
		return
	fi
	# podman: every container of ours (with the pod variant, the infra
	# containers too, named after the pod's id, hence --pod and .PodName).
	podman ps -a --pod --no-trunc --format '{{.ID}} {{.Names}} {{.PodName}}' 2>"$err" |
		awk -v p="^$prefix-" '$2 ~ p || $3 ~ p {print $1}' >"$out/ids" ||
		die "podman ps: $(cat "$err")"
	[ -s "$out/ids" ] || die "$v: no podman containers found"
	# shellcheck disable=SC2046
	podman inspect -f '{{.State.ConmonPid}} {{.State.Pid}} {{.IsInfra}}' $(cat "$out/ids") 2>"$err" |
		awk -v roots="$out/roots" -v wl="$out/workloads" '
			{ print $1 >roots
			  # The infra container is the pod'"'"'s pause: counted, as a
			  # descendant of its conmon.
			  if ($3 != "true") print $2 >wl }' || die "podman inspect: $(cat "$err")"
	# Anything else alive whose command line names one of our containers
	# (rootlessport, a second conmon...), or the network namespace of one
	# (slirp4netns, which names the namespace's bind mount), is the tool's too.
	# shellcheck disable=SC2046
	podman inspect -f '{{.NetworkSettings.SandboxKey}}' $(cat "$out/ids") 2>/dev/null | grep . >>"$out/ids" || true
	for pid in $(live_procs | awk '{print $1}'); do
		if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -f "$out/ids"; then
			echo "$pid" >>"$out/roots"
		fi
	done
}

# measure VARIANT N ROUND: attribute, sum, append a sample line.
measure() {
	local v=$1 n=$2 r=$3 nw
	roots_and_workloads "$v" "$n"
	nw=$(sort -u "$out/workloads" | grep -c .) || true
	((nw == n)) || die "$v: expected $n workload processes, found $nw"
	live_procs >"$out/procs"
	# counted = subtrees of the roots minus subtrees of the workloads.
	awk -v roots="$out/roots" -v wl="$out/workloads" '
		BEGIN { while ((getline p <roots) > 0) r[p] = 1
		        while ((getline p <wl) > 0) w[p] = 1 }
		{ parent[$1] = $2; all[$1] = 1 }
		function under(p, set,   i) {
			for (i = 0; i < 64 && p > 1; i++) { if (p in set) return 1; p = parent[p] }
			return 0 }
		END {
			for (p in r) if (!(p in all)) { print "dead " p; bad = 1 }
			for (p in w) if (!(p in all)) { print "dead " p; bad = 1 }
			if (bad) exit 1
			for (p in all) {
				if (under(p, w)) print "workload " p
				else if (under(p, r)) print "counted " p
				else print "other " p
			}
		}' "$out/procs" >"$out/classes" || die "$v: a pod process is not running: $(grep dead "$out/classes" | tr '\n' ' ')"
	# Processes that appeared with these pods but belong to none of them.
	awk 'NR == FNR { before[$1] = 1; next } $1 == "other" && !($2 in before) { print $2 }' \
		"$out/procs-before" "$out/classes" >"$out/unattributed"
	# (Our own ps and awk of a moment ago are gone by now: only the live count.)
	local cmd
	while read -r pid; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
		[ -n "$cmd" ] || continue
		echo "$v N=$n round $r: unattributed new process $pid: ${cmd:0:200}" >>"$out/mem-notes"
	done <"$out/unattributed"
	local procs=0 rss=0 anon=0 file=0 pss=0 pid name st v_rss v_anon v_file v_pss
	declare -A cnt=() nrss=()
	for pid in $(awk '$1 == "counted" {print $2}' "$out/classes"); do
		st=$(awk '$1 == "VmRSS:" {r = $2} $1 == "RssAnon:" {a = $2} $1 == "RssFile:" {f = $2}
			END {print r, a, f}' "/proc/$pid/status" 2>/dev/null) || die "$v: process $pid ended"
		read -r v_rss v_anon v_file <<<"$st"
		[ -n "$v_file" ] || die "$v: process $pid ended"
		v_pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null) || v_pss=
		[ -n "$v_pss" ] || v_pss=NA
		name=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n1)
		name=${name##*/}
		name=${name%%:*} # a network helper's argv[0] names its pod: pasta:POD:HASH
		((procs += 1, rss += v_rss, anon += v_anon, file += v_file)) || true
		if [ "$pss" != NA ] && [ "$v_pss" != NA ]; then ((pss += v_pss)) || true; else pss=NA; fi
		cnt[$name]=$((${cnt[$name]:-0} + 1))
		nrss[$name]=$((${nrss[$name]:-0} + v_rss))
	done
	local breakdown=
	for name in $(printf '%s\n' "${!cnt[@]}" | sort); do
		breakdown+="${breakdown:+,}$name:${cnt[$name]}:${nrss[$name]}"
	done
	echo "$v $n $r $procs $rss $anon $file $pss ${breakdown:--}" >>"$out/mem-samples"
	# The first podctl pod of the run, idle: where the supervisor's memory goes.
	if [ "$v" = podctl ] && [ ! -e "$out/supervisor-smaps" ]; then
		supervisor_smaps "$prefix-1" >"$out/supervisor-smaps"
	fi
}

# supervisor_smaps POD: the memory of the pod's supervisor process (after
# 2 idle seconds it is podctl's C keeper, the same pid).
supervisor_smaps() {
	local pid
	pid=$("$podctl" inspect "$1" 2>/dev/null | jq -r .supervisor.pid) || return 0
	echo "Name: $(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | head -n1)"
	grep -E '^(Rss|Pss|Pss_Anon|Pss_File|Anonymous|Private_Dirty|Shared_Clean):' "/proc/$pid/smaps_rollup" 2>/dev/null || true
	grep -E '^(VmRSS|RssAnon|RssFile|RssShmem|Threads):' "/proc/$pid/status" 2>/dev/null || true
}

# gone: wait until no process of the last sample is alive.
gone() {
	local v=$1 i
	awk '$1 != "other" {print $2}' "$out/classes" >"$out/last"
	for ((i = 0; i < 100; i++)); do
		live_procs | awk 'NR == FNR { want[$1] = 1; next } $1 in want { found = 1 } END { exit !found }' \
			"$out/last" - || return 0
		sleep 0.1
	done
	die "$v: processes still running 10 s after removal: $(live_procs | awk 'NR == FNR { want[$1] = 1; next } $1 in want {print $1}' "$out/last" - | tr '\n' ' ')"
}

cleanup_all
trap cleanup_all EXIT
: >"$out/mem-samples"
: >"$out/mem-notes"
for n in 1 20; do
	rounds=$runs1
	((n == 1)) || rounds=$runs20
	for ((r = 1; r <= rounds; r++)); do
		for v in "${variants[@]}"; do
			live_procs >"$out/procs-before"
			create "$v" "$n"
			# Once per run: the supervisor just after podctl run -d returned,
			# before it hibernates (not counted in the samples).
			if [ "$v" = podctl ] && [ ! -e "$out/supervisor-smaps-start" ]; then
				supervisor_smaps "$prefix-1" >"$out/supervisor-smaps-start"
			fi
			sleep "$settle"
			measure "$v" "$n" "$r"
			remove "$v" "$n"
			gone "$v"
		done
	done
done
cleanup_all
left=$({ "$podctl" ps -a; podman pod ps --format '{{.Name}}'; podman ps -a --format '{{.Names}}'; } 2>&1 |
	grep -- "$prefix-" || true)
[ -z "$left" ] || die "left behind after removal: ${left//$'\n'/ }"
