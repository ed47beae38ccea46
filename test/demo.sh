#!/bin/bash
# `make demo`: builds a busybox image from local files (Debian's
# busybox-static; no registry), loads it into the image store podman uses,
# and runs a demo pod from it, showing what the pod is made of.
#
# Run by root (as a fresh machine's README tells), it shows the rootless
# product all the same: it prepares an unprivileged user with a /etc/subuid
# range (podctl-demo, or PODCTL_DEMO_USER) and runs the demo as that user.
# PODCTL_DEMO_CLEANUP=1 removes the demo's image at the end (make test).
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh
if ! command -v busybox >/dev/null || ! command -v newuidmap >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		echo "busybox or newuidmap not found: as root, apt-get install busybox-static uidmap" >&2
		exit 1
	fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static uidmap >/dev/null
fi
dir=${PODCTL_DEMO_DIR:-${TMPDIR:-/tmp}/podctl-demo-$(id -u)}
rootfs=$dir/rootfs
[ -x "$rootfs/bin/sh" ] || make_busybox_rootfs "$rootfs"
P=bin/podctl
image=localhost/podctl-demo/busybox:latest
# The image: the rootfs as one layer, an OCI archive written by
# test/mkimage, loaded like any image (podctl load -i).
[ -n "${PODCTL_DEMO_AS_USER:-}" ] ||
	go run ./test/mkimage -o "$dir/busybox.tar" -name "$image" -env PATH=/bin -cmd '["sh"]' "$rootfs"
if [ "$(id -u)" = 0 ] && [ -z "${PODCTL_DEMO_AS_USER:-}" ]; then
	# As root, a pod's user namespace would map every id to itself:
	# rootful. The demo shows the product as users meet it instead: the
	# binaries, the image and this script copied where the user can read
	# them, then run as that user, in a private XDG_RUNTIME_DIR.
	user=${PODCTL_DEMO_USER:-podctl-demo}
	setup_test_user "$user"
	mkdir -p "$dir/bin" "$dir/test"
	cp bin/podctl bin/podctl-net bin/podctl-store bin/podctl-image bin/podctl-kube "$dir/bin/"
	cp test/demo.sh test/lib.sh "$dir/test/"
	chown -R "$user:" "$dir"
	chmod 755 "$dir"
	echo "# make demo as root: the demo runs as $user, an ordinary user with a /etc/subuid range"
	exec su "$user" -s /bin/bash -c "cd '$dir' && env XDG_RUNTIME_DIR='$rundir' PODCTL_DEMO_AS_USER=1 PODCTL_DEMO_DIR='$dir' PODCTL_DEMO_CLEANUP='${PODCTL_DEMO_CLEANUP:-}' bash test/demo.sh"
fi
step() { echo; echo "+ $*"; "$@"; }
step $P load -q -i "$dir/busybox.tar"
step $P images
# A pod with two containers that share its network, IPC and pid
# namespaces; the pause holds them.
$P rm -f demo >/dev/null 2>&1 || true
# Interrupted (Ctrl-C, a closed pipe), the demo still removes its pod.
trap '$P rm -f demo >/dev/null 2>&1 || true' EXIT
step $P pod create demo
step $P run -d --pod demo --name web "$image" httpd -f -p 127.0.0.1:8080 -h /etc
step $P run -d --pod demo --name probe "$image" sh -c 'while :; do sleep 1; done'
step $P ps --containers
echo; echo "# the pod model at a glance: every container shares the pause's namespaces but its mount namespace"
step $P ns demo
echo; echo "# one localhost for the pod: probe reaches web at 127.0.0.1:8080"
step $P exec -c probe demo -- wget -qO- http://127.0.0.1:8080/hostname
echo; echo "# inside: pod root is you, the other ids are your /etc/subuid range"
step $P exec -c probe demo -- sh -c 'id; cat /proc/self/uid_map; ps -o pid,comm'
echo; echo "# the same steps, as the kernel sees them (--explain)"
step $P run --explain --rm "$image" true
step $P rm -f demo
if [ -n "${PODCTL_DEMO_CLEANUP:-}" ]; then
	$P rmi "$image" >/dev/null
fi
