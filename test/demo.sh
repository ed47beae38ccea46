#!/bin/bash
# `make demo`: builds a busybox rootfs (Debian's busybox-static) and runs a
# demo pod in it, showing what the pod is made of.
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
echo "rootfs: $rootfs"
echo "+ bin/podctl run --rm --name demo --rootfs $rootfs -- /bin/sh -c ..."
exec bin/podctl run --rm --name demo --rootfs "$rootfs" -- /bin/sh -c '
echo "hello from pod $(hostname), running as uid $(id -u) inside"
echo "--- my user namespace maps ids (inside outside count):"; cat /proc/self/uid_map
echo "--- processes in the pod (PID 1 is the pause):"; ps -o pid,comm
echo "--- network: only loopback"; ip -o link
echo "--- namespaces I share with the pause (PID 1): compare the inodes"
for n in user net ipc uts pid cgroup mnt; do echo "$n: mine $(readlink /proc/self/ns/$n)  pause $(readlink /proc/1/ns/$n)"; done'
