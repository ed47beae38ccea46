# Root-side helpers that make rootless podman 4.3 + crun usable for the
# bench user on these machines (docs: /work/shared/NOTES.md section 5,
# test/bench/README.md). Sourced by test/bench/run.sh; defines functions only.
# Every step is idempotent: run it on a clean machine or for the tenth time.
#
# The catch: crun refuses hybrid cgroups ("cgroups in hybrid mode not
# supported, drop all controllers from cgroupv2") whenever it sees the
# cgroup2 mount at /sys/fs/cgroup/unified. Rootless podman runs every
# command in the user and mount namespaces of its per-user pause process,
# so a pause started from a mount namespace where a tmpfs hides that mount
# makes all later podman commands of the user work.

# podman_user_config USER: ~USER/.config/containers/{containers,storage}.conf:
# no cgroups (podctl has none here either), cgroupfs instead of systemd (no
# systemd on these machines), crun, and overlay storage (podman might fall
# back to vfs, which copies every layer: unfair to it). Rewritten only when
# they differ.
podman_user_config() {
	local user=$1 home group dir
	home=$(getent passwd "$user" | cut -d: -f6)
	group=$(id -gn "$user")
	dir=$home/.config/containers
	[ -d "$home/.config" ] || install -d -o "$user" -g "$group" "$home/.config"
	[ -d "$dir" ] || install -d -o "$user" -g "$group" "$dir"
	_write_if_changed "$dir/containers.conf" "$user" "$group" <<'EOF'
# Written by podctl's test/bench/run.sh (rootless podman on hybrid cgroups).
[containers]
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
runtime = "crun"
EOF
	_write_if_changed "$dir/storage.conf" "$user" "$group" <<'EOF'
# Written by podctl's test/bench/run.sh.
[storage]
driver = "overlay"
EOF
}

_write_if_changed() {
	local file=$1 user=$2 group=$3 new
	new=$(cat)
	if [ ! -f "$file" ] || [ "$(cat "$file")" != "$new" ]; then
		printf '%s\n' "$new" >"$file.tmp"
		chown "$user:$group" "$file.tmp"
		chmod 644 "$file.tmp"
		mv "$file.tmp" "$file"
	fi
}

# _hybrid_cgroups: is there a cgroup2 mount at /sys/fs/cgroup/unified that
# crun would see?
_hybrid_cgroups() {
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]
}

# podman_as USER RUNDIR ARG...: podman as USER, from a neutral directory.
podman_as() {
	local user=$1 rundir=$2
	shift 2
	# su's options end at --: the rest goes to sh as $0, $1...
	su "$user" -s /bin/sh -c 'cd / && XDG_RUNTIME_DIR="$0" exec podman "$@"' -- "$rundir" "$@"
}

# _podman_pause_pid USER RUNDIR: the live pid of USER's podman pause process,
# or failure.
_podman_pause_pid() {
	local user=$1 rundir=$2 pid state
	pid=$(cat "$rundir/libpod/tmp/pause.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[ "$(stat -c %U "/proc/$pid" 2>/dev/null)" = "$user" ] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] || return 1
	echo "$pid"
}

# _pause_hides_cgroup2 PID: in PID's mount namespace, is the topmost mount
# on /sys/fs/cgroup/unified our tmpfs? (Always true without hybrid cgroups.)
_pause_hides_cgroup2() {
	_hybrid_cgroups || return 0
	awk '$5 == "/sys/fs/cgroup/unified" {
		for (i = 6; i <= NF; i++) if ($i == "-") { fs = $(i + 1); break }
	} END { exit fs == "tmpfs" ? 0 : 1 }' "/proc/$1/mountinfo"
}

# podman_start_pause USER RUNDIR: make sure USER's podman pause process runs
# and cannot see the cgroup2 mount. Sets PODMAN_PAUSE_PID, and
# PODMAN_PAUSE_OURS=1 when this call started it (podman_stop_pause then
# stops it). A stale pause.pid, containers whose processes died with an
# old pause ("invalid internal status ... podman system migrate") or a
# pause that sees the cgroup2 mount: `podman system migrate` resets that
# (it stops the user's containers and kills the old pause), then a new
# pause is started behind the tmpfs.
podman_start_pause() {
	local user=$1 rundir=$2 pid script log
	PODMAN_PAUSE_OURS=0
	if pid=$(_podman_pause_pid "$user" "$rundir") && _pause_hides_cgroup2 "$pid"; then
		PODMAN_PAUSE_PID=$pid
		return 0
	fi
	script='cd / && export XDG_RUNTIME_DIR="$0" && podman system migrate && podman unshare true'
	log=$(mktemp)
	if _hybrid_cgroups; then
		# $0, $1, $2 of the outer sh: user, rundir, inner script.
		unshare -m --propagation private /bin/sh -c \
			'mount -t tmpfs -o size=4k,mode=755 none /sys/fs/cgroup/unified && exec su "$0" -s /bin/sh -c "$2" -- "$1"' \
			"$user" "$rundir" "$script" >"$log" 2>&1 || true
	else
		su "$user" -s /bin/sh -c "$script" -- "$rundir" >"$log" 2>&1 || true
	fi
	if ! pid=$(_podman_pause_pid "$user" "$rundir") || ! _pause_hides_cgroup2 "$pid"; then
		echo "bench: could not start a podman pause process for $user that hides /sys/fs/cgroup/unified:" >&2
		cat "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	PODMAN_PAUSE_PID=$pid PODMAN_PAUSE_OURS=1
}

# podman_stop_pause: stop the pause podman_start_pause started (not one that
# was there before), once the bench has removed its containers.
podman_stop_pause() {
	local i state
	[ "${PODMAN_PAUSE_OURS:-0}" = 1 ] || return 0
	PODMAN_PAUSE_OURS=0
	kill -TERM "$PODMAN_PAUSE_PID" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		state=$(awk '{print $3}' "/proc/$PODMAN_PAUSE_PID/stat" 2>/dev/null) || return 0
		[ "$state" = Z ] && return 0
		((i == 20)) && kill -KILL "$PODMAN_PAUSE_PID" 2>/dev/null
		sleep 0.1
	done
	echo "bench: podman pause $PODMAN_PAUSE_PID did not stop" >&2
	return 1
}
