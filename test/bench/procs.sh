#!/bin/bash
# Processes started and Go runtimes booted per operation, counted by the
# kernel's own tracepoints (tracefs: task:task_newtask, which carries the
# clone flags, and sched:sched_process_exec), not by ptrace: under strace
# the setuid newuidmap cannot work, so a traced rootless start takes
# another path. Run by test/bench/run.sh as root, after the timed runs.
# Args: WORKDIR BENCH_USER RUNDIR IMAGE. Writes WORKDIR/out/procs.md.
#
# For each command, run as the bench user: every task descended from the
# shell that runs it is counted. A task made without CLONE_THREAD is a
# process; a process that, after its last execve, made threads booted a
# runtime that starts threads: the Go runtime (podctl's own binaries,
# podman), which starts at least sysmon's at boot. So did a process that
# made threads without any execve since its fork: a C stage's child that
# returned into Go's start-up (how podctl's container init ran before it
# was written in C; a Go process's own fork cannot make threads before it
# execs). The C programs here
# (the podctl C stages and init, bubblewrap, crun, conmon, catatonit,
# newuidmap, pasta) make none; the details file lists each program and
# whether it did.
set -euo pipefail
work=$1 user=$2 rundir=$3 image=$4
out=$work/out/procs.md details=$work/out/procs-details.txt
podctl=$work/podctl rootfs=$work/rootfs
tr=/sys/kernel/tracing
mounted=0
if [ ! -e "$tr/trace" ]; then
	mount -t tracefs nodev "$tr"
	mounted=1
fi
cleanup() {
	echo 0 >"$tr/events/task/task_newtask/enable" 2>/dev/null || true
	echo 0 >"$tr/events/sched/sched_process_exec/enable" 2>/dev/null || true
	((mounted == 0)) || umount "$tr" || true
}
trap cleanup EXIT
echo 16384 >"$tr/buffer_size_kb"

# as_user_pid PIDFILE CMD...: CMD as the bench user, from a shell whose pid
# (the root of the counted tree) goes to PIDFILE. On hybrid cgroups crun
# refuses to run where it sees the cgroup2 mount at /sys/fs/cgroup/unified
# (test/bench/podman.sh): for it, su runs in a mount namespace of root's
# where a tmpfs hides that mount, made before the counted tree starts.
as_user_pid() {
	local hide=()
	if [ "$2" = crun ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		hide=(unshare -m sh -c 'mount -t tmpfs -o size=4k,mode=755 none /sys/fs/cgroup/unified && exec "$@"' --)
	fi
	"${hide[@]}" su "$user" -s /bin/bash -c 'cd "$0" && echo $$ >"$1" && exec env XDG_RUNTIME_DIR="$2" USER="$3" "${@:4}"' \
		-- "$work" "$1" "$rundir" "$user" "${@:2}"
}

# count LABEL TOOL CMD...: trace CMD, then print "LABEL|TOOL|processes|runtimes".
count() {
	local label=$1 tool=$2
	shift 2
	echo >"$tr/trace"
	echo 1 >"$tr/events/task/task_newtask/enable"
	echo 1 >"$tr/events/sched/sched_process_exec/enable"
	as_user_pid "$work/out/procs.pid" "$@" </dev/null >/dev/null 2>"$work/out/procs.err" ||
		{ echo "bench: $tool: $* failed: $(cat "$work/out/procs.err")" >&2; exit 1; }
	echo 0 >"$tr/events/task/task_newtask/enable"
	echo 0 >"$tr/events/sched/sched_process_exec/enable"
	local root
	root=$(cat "$work/out/procs.pid")
	awk -v root="$root" -v label="$label" -v tool="$tool" -v details="$details" '
	# "COMM-PID [CPU] FLAGS TIME: EVENT: FIELDS"; COMM may hold dashes.
	match($0, /-[0-9]+ +\[[0-9]+\]/) {
		pre = substr($0, RSTART + 1, RLENGTH)
		split(pre, a, " ")
		caller = a[1] + 0
		if ($0 ~ /task_newtask:/) {
			match($0, /pid=[0-9]+/); child = substr($0, RSTART + 4, RLENGTH - 4) + 0
			# CLONE_THREAD is 0x10000: bit 0 of the fifth hex digit from the right.
			match($0, /clone_flags=[0-9a-f]+/); h = substr($0, RSTART + 12, RLENGTH - 12)
			isthread = length(h) >= 5 && (index("0123456789abcdef", substr(h, length(h) - 4, 1)) - 1) % 2 == 1
			if (!(caller in tree)) next
			tree[child] = 1
			if (isthread) { # a thread of the caller
				owner = (caller in proc) ? proc[caller] : caller
				proc[child] = owner
				if (!(owner in threaded)) { threaded[owner] = 1; runtimes++; thr[cur[owner]] = 1 }
				threads[owner]++
			} else {
				procs++
				proc[child] = child
				order[++n] = child SUBSEP "(forked)"
				cur[child] = n
			}
		} else if ($0 ~ /sched_process_exec:/) {
			match($0, /filename=[^ ]*/); f = substr($0, RSTART + 9, RLENGTH - 9)
			match($0, / pid=[0-9]+/); p = substr($0, RSTART + 5, RLENGTH - 5) + 0
			if (!(p in tree)) next
			execs++
			owner = (p in proc) ? proc[p] : p
			delete threaded[owner]
			exe[owner] = f
			order[++n] = owner SUBSEP f
			cur[owner] = n
		}
	}
	BEGIN { tree[root] = 1; proc[root] = root; procs = 1; order[++n] = root SUBSEP "(the shell)"; cur[root] = n }
	END {
		printf "%s|%s|%d|%d|%d\n", label, tool, procs, execs, runtimes
		for (i = 1; i <= n; i++) {
			split(order[i], o, SUBSEP)
			line = line sprintf(" %d:%s%s", o[1], o[2], (i in thr) ? "(threads)" : "")
		}
		printf "%s, %s:%s\n", label, tool, line >>details
	}' "$tr/trace"
}

: >"$details"
name=podctl-bench-procs
"$work/podctl" version >/dev/null 2>&1 || true
# The crun bundle: crun's own rootless spec, on the same rootfs, running /bin/true.
bundle=$work/crun-bundle
if [ ! -d "$bundle" ]; then
	mkdir -p "$bundle"
	(cd "$bundle" && crun spec --rootless)
	jq --arg root "$rootfs" '.root.path = $root | .root.readonly = true | .process.args = ["/bin/true"] | .process.terminal = false' \
		"$bundle/config.json" >"$bundle/config.json.new" && mv "$bundle/config.json.new" "$bundle/config.json"
	chown -R "$user:" "$bundle"
fi
cat >"$work/procs-pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $name-kube}
spec:
  containers:
  - {name: a, image: $image, imagePullPolicy: Never, command: [/bin/sleep, "1000"]}
  - {name: b, image: $image, imagePullPolicy: Never, command: [/bin/sleep, "1000"]}
EOF
chmod 644 "$work/procs-pod.yaml"

{
	# The first pod start after PODCTL_USERNS_LINGER idle seconds makes the
	# per-user namespace (podctl-userns, mapped once by newuidmap and
	# newgidmap: sandbox/stage/nest.go); the next ones only use it.
	pkill -u "$user" -x podctl-userns || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -u "$user" -x podctl-userns >/dev/null || break; sleep 0.1; done
	count "run --rm /bin/true, the first in a while (it makes the per-user namespace)" podctl "$podctl" run --rm --network none --rootfs "$rootfs" -- /bin/true
	count "run --rm /bin/true" podctl "$podctl" run --rm --network none --rootfs "$rootfs" -- /bin/true
	count "run --rm /bin/true" bwrap bwrap --unshare-all --ro-bind "$rootfs" / --proc /proc --dev /dev /bin/true
	count "run --rm /bin/true" crun crun run --bundle "$bundle" "$name-crun"
	count "run --rm /bin/true" podman podman run --rm --network none "$image" /bin/true
	count "run -d sleep" podctl "$podctl" run -d --network none --rootfs "$rootfs" --name "$name" -- sleep 1000
	count "run -d sleep" podman podman run -d --network none --name "$name" "$image" sleep 1000
	count "exec /bin/true" podctl "$podctl" exec "$name" -- /bin/true
	count "exec /bin/true" podman podman exec "$name" /bin/true
	as_user_pid /dev/null "$podctl" rm -f "$name" >/dev/null 2>&1
	as_user_pid /dev/null podman rm -f -t 0 "$name" >/dev/null 2>&1
	count "apply of the two-container pod, until Ready" podctl bash -c '"$0" apply --network none -f "$1" && exec "$0" wait "$2" --for condition=Ready --timeout 10s' \
		"$podctl" "$work/procs-pod.yaml" "$name-kube"
	count "apply of the two-container pod, until Ready" podman podman kube play --network none "$work/procs-pod.yaml"
	as_user_pid /dev/null "$podctl" delete --grace-period=0 -f "$work/procs-pod.yaml" >/dev/null 2>&1
	as_user_pid /dev/null podman kube down "$work/procs-pod.yaml" >/dev/null 2>&1
	count "run --rm IMAGE /bin/true" podctl "$podctl" run --rm --network none "$image" /bin/true
	count "run --rm IMAGE /bin/true" podman podman run --rm --network none "$image" /bin/true
} >"$work/out/procs-rows"

{
	echo "| operation | tool | processes started | execve | Go runtimes booted |"
	echo "|---|---|---:|---:|---:|"
	awk -F'|' '{ printf "| %s | %s | %d | %d | %d |\n", $1, $2, $3, $4, $5 }' "$work/out/procs-rows"
} >"$out"
cat "$out"
echo "(every process, PID:(forked), then each program it exec'd, with (threads) where that program started threads: $details)"
