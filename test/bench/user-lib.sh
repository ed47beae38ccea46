# Shell helpers for the measuring scripts that test/bench/run.sh runs as the
# bench user (its inner measure.sh, exec.sh, memory.sh, lifecycle.sh). Source
# it after setting $err (a file for a failing command's stderr), $podctl and,
# for cleanup_all, $prefix. It defines functions only.

die() { echo "bench: $*" >&2; exit 1; }

# time_one TOOL: run the command in the array cmd_TOOL once and set $sample
# to its wall time in microseconds. EPOCHREALTIME is a bash builtin: timing
# with $(date +%s%N) would add two fork+exec of date, about a millisecond,
# to every sample. A failing command stops the benchmark with its stderr.
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
	((${QUIESCE:-0} == 0)) || quiesce
}

# own_procs: the pids of this user's processes (bash's -O: owned by us).
own_procs() {
	local d
	for d in /proc/[0-9]*; do
		# Not the subshell of $(own_procs) itself.
		if [ -O "$d" ] && [ "${d#/proc/}" != "$BASHPID" ]; then
			echo "${d#/proc/}"
		fi
	done
	return 0
}

# quiesce (time_one, with QUIESCE=1): untimed, wait until every process of
# this user that the sample's command started has exited, at most 3 s.
# podman exec and podman run --rm return while their conmon and a cleanup
# podman still run (~100-300 ms here): measured back to back, the next
# sample, whichever tool's, would compete with them for the CPUs. Only for
# measurements whose commands leave nothing running by design (exec, run
# --rm); the baseline is taken once, before the first sample.
quiesce() {
	local i p left
	[ -n "${quiet_procs:-}" ] || return 0
	for ((i = 0; i < 300; i++)); do
		left=0
		for p in $(own_procs); do
			# A zombie is done (this VM's init reaps orphans late).
			[[ "$quiet_procs" == *" $p "* ]] || [[ "$(grep -s '^State:' "/proc/$p/status")" == *Z* ]] ||
				userns_holder "$p" || left=1
		done
		((left == 0)) && return 0
		sleep 0.01
	done
}

# userns_holder PID: whether PID is the per-user namespace's holder
# (podctl-userns). It stays by design, as podman's pause does, and ends by
# itself after PODCTL_USERNS_LINGER seconds (sandbox/stage/nest.go); the
# first pod after it ended starts a new one.
userns_holder() {
	[[ "$(cat "/proc/$1/comm" 2>/dev/null)" == podctl-userns ]]
}

# quiesce_baseline: the processes that quiesce waits for the machine to
# come back to (the idle pods of the measurement, podman's pause).
quiesce_baseline() {
	quiet_procs=" $(own_procs | tr '\n' ' ') "
}

# cleanup_all: remove everything named $prefix-*, whichever tool made it
# and however far it got.
cleanup_all() {
	local names
	names=$("$podctl" ps -a 2>/dev/null | awk -v p="^$prefix-" 'NR > 1 && $1 ~ p {print $1}')
	[ -z "$names" ] || "$podctl" rm -f $names >/dev/null 2>&1 || true
	names=$(podman pod ps --format '{{.Name}}' 2>/dev/null | grep "^$prefix-" || true)
	[ -z "$names" ] || podman pod rm -f -t 0 $names >/dev/null 2>&1 || true
	names=$(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$prefix-" || true)
	[ -z "$names" ] || podman rm -f -t 0 $names >/dev/null 2>&1 || true
}
