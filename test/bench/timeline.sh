#!/bin/bash
# A per-process timeline of one command, from the kernel's tracepoints
# (task_newtask, sched_process_exec, sched_process_exit): when each
# process of the command's tree was made, exec'd what, and exited, in
# milliseconds from the command's own exec. Where the time of a start goes,
# process by process, without ptrace (under strace the setuid newuidmap
# cannot work, so a traced rootless start takes another path). As root:
#
#   test/bench/timeline.sh USER CMD...     e.g.
#   test/bench/timeline.sh podctl-test bin/podctl run --rm --network none --rootfs R -- /bin/true
set -euo pipefail
user=$1
shift
tr=/sys/kernel/tracing
mounted=0
if [ ! -e "$tr/trace" ]; then
	mount -t tracefs nodev "$tr"
	mounted=1
fi
events=(task/task_newtask sched/sched_process_exec sched/sched_process_exit)
cleanup() {
	for e in "${events[@]}"; do echo 0 >"$tr/events/$e/enable"; done
	((mounted == 0)) || umount "$tr" || true
}
trap cleanup EXIT
pidfile=$(mktemp)
chown "$user" "$pidfile"
echo 16384 >"$tr/buffer_size_kb"
echo >"$tr/trace"
for e in "${events[@]}"; do echo 1 >"$tr/events/$e/enable"; done
su "$user" -s /bin/bash -c 'echo $$ >"$0" && exec env XDG_RUNTIME_DIR=/run/user/$(id -u) "$@"' -- "$pidfile" "$@" </dev/null >/dev/null
for e in "${events[@]}"; do echo 0 >"$tr/events/$e/enable"; done
root=$(cat "$pidfile")
rm -f "$pidfile"
awk -v root="$root" '
match($0, /-[0-9]+ +\[[0-9]+\][^:]*: /) {
	pre = substr($0, RSTART + 1, RLENGTH)
	split(pre, a, " ")
	caller = a[1] + 0
	t = a[4] + 0
	if ($0 ~ /task_newtask:/) {
		match($0, /pid=[0-9]+/); child = substr($0, RSTART + 4, RLENGTH - 4) + 0
		if (!(caller in tree)) next
		tree[child] = 1
		match($0, /clone_flags=[0-9a-f]+/); h = substr($0, RSTART + 12, RLENGTH - 12)
		if (length(h) >= 5 && (index("0123456789abcdef", substr(h, length(h) - 4, 1)) - 1) % 2 == 1) { thread[child] = 1; next }
		if (t0) printf "%8.2f ms  pid %d made by %d\n", (t - t0) * 1000, child, caller
	} else if ($0 ~ /sched_process_exec:/) {
		match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5) + 0
		if (!(p in tree)) next
		match($0, /filename=[^ ]*/); f = substr($0, RSTART + 9, RLENGTH - 9)
		if (p == root && f !~ /\/(bash|env)$/ && !t0) t0 = t
		if (t0) printf "%8.2f ms  pid %d execs %s\n", (t - t0) * 1000, p, f
	} else if ($0 ~ /sched_process_exit:/) {
		match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5) + 0
		if ((p in tree) && !(p in thread) && t0) printf "%8.2f ms  pid %d exits\n", (t - t0) * 1000, p
	}
}
BEGIN { tree[root] = 1 }' "$tr/trace"
