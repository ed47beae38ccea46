#!/bin/bash
# `make demo`: builds a busybox image from local files (Debian's
# busybox-static; no registry), loads it into the image store podman uses,
# and runs a demo pod from it, showing what the pod is made of.
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
go run ./test/mkimage -o "$dir/busybox.tar" -name "$image" -env PATH=/bin -cmd '["sh"]' "$rootfs"
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
