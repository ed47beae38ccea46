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
