# Shell helpers shared by test/run-tests.sh, test/bench/run.sh and
# test/demo.sh. Source it; it defines functions only.

# setup_test_user USER [SUBIDS]: as root, make USER (with a home), give it
# the subordinate range SUBIDS (default 100000-165535; "none" for no range)
# unless it has one, and a private XDG_RUNTIME_DIR on tmpfs, since no login
# session makes one here. Sets $rundir to that directory.
setup_test_user() {
	local user=$1 subids=${2:-100000-165535}
	if ! id "$user" >/dev/null 2>&1; then
		if [ "$subids" = none ]; then
			# -K ...=0 stops useradd from allocating a range.
			useradd -m -s /bin/bash -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
		else
			useradd -m -s /bin/bash "$user"
		fi
	fi
	if [ "$subids" != none ]; then
		grep -q "^$user:" /etc/subuid || usermod --add-subuids "$subids" "$user"
		grep -q "^$user:" /etc/subgid || usermod --add-subgids "$subids" "$user"
	fi
	rundir=/run/user/$(id -u "$user")
	mkdir -p "$rundir"
	# tmpfs, as a login session's would be: podctl's state never hits disk.
	mountpoint -q "$rundir" || mount -t tmpfs -o size=64m,mode=700 tmpfs "$rundir"
	chown "$user:" "$rundir"
	chmod 700 "$rundir"
}

# run_as USER RUNDIR DIR CMD...: as root, run CMD as USER in directory DIR,
# with XDG_RUNTIME_DIR=RUNDIR and USER set, as a login session would (su
# keeps root's environment otherwise). Extra variables: CMD = env A=B ...
run_as() {
	su "$1" -s /bin/bash -c 'cd "$0" && exec env XDG_RUNTIME_DIR="$1" USER="$2" "${@:3}"' -- "$3" "$2" "$1" "${@:4}"
}

# make_busybox_rootfs DIR: a minimal rootfs from Debian's busybox-static:
# /bin/busybox, a symlink per applet, and /etc/passwd and /etc/group with
# root only. (The Go end-to-end suite builds its own, with more users.)
make_busybox_rootfs() {
	local dir=$1 bb
	bb=$(command -v busybox)
	mkdir -p "$dir"/{bin,etc,tmp,root,proc,sys,dev}
	chmod 1777 "$dir/tmp"
	cp "$bb" "$dir/bin/busybox"
	for applet in $("$bb" --list); do
		# busybox lists itself; a link bin/busybox -> busybox would replace
		# the binary with a loop.
		[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
	echo 'root:x:0:' >"$dir/etc/group"
}
