#!/bin/bash
# test/critest/run.sh BINDIR: cri-tools' critest v1.37.0 (make critest
# builds it into bin/tools) against podctl cri serve, rootless, as root's
# harness:
#   - a user of its own, podctl-critest, with subordinate ids 300000-365535
#     and a private XDG_RUNTIME_DIR (test/lib.sh), so that nothing here
#     meets the pods of the test suite's user;
#   - the images critest pulls, synthesized and served on 127.0.0.1 by
#     test/critest/images, with a registries.conf that mirrors
#     registry.k8s.io, k8s.gcr.io and gcr.io there (CONTAINERS_REGISTRIES_CONF
#     for the server, and so for podctl-image);
#   - critest as that user, on the server's socket.
# CRITEST_FOCUS and CRITEST_SKIP pass -ginkgo.focus and -ginkgo.skip (CI
# runs a focused subset); the summary line and every failed spec are
# printed, and the log is kept in CRITEST_LOG if set.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
bin=$(cd "${1:?usage: test/critest/run.sh BINDIR}" && pwd)
tools=$bin
[ -x "$tools/critest" ] || tools=$bin/tools
[ "$(id -u)" = 0 ] || { echo "test/critest/run.sh: run as root" >&2; exit 1; }
user=podctl-critest
setup_test_user "$user" 300000-365535 # sets $rundir
work=$(mktemp -d /tmp/podctl-critest.XXXXXX)
chmod 755 "$work"
as() { su "$user" -s /bin/bash -c 'cd / && exec env XDG_RUNTIME_DIR="$0" CONTAINERS_REGISTRIES_CONF="$1" "${@:2}"' -- "$rundir" "$work/registries.conf" "$@"; }
pids=()
sock=$work/run/cri.sock
cleanup() {
	# The server is su's child: by its command line.
	pkill -f "cri serve --listen unix://$sock" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# What critest left (a spec that failed half-way): its pods, images.
	for p in $(as "$bin/podctl" ps -a | awk 'NR > 1 { print $1 }'); do as "$bin/podctl" rm -f "$p" >/dev/null 2>&1 || true; done
	for i in $(as "$bin/podctl" images --format json 2>/dev/null | python3 -c 'import json, sys; print(" ".join(i["id"] for i in json.load(sys.stdin) or []))'); do
		as "$bin/podctl" rmi "$i" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

make_busybox_rootfs "$work/rootfs" >/dev/null
go build -o "$work/critest-images" ./test/critest/images
CGO_ENABLED=0 go build -o "$work/nonewprivs" ./test/critest/nonewprivs
"$work/critest-images" -rootfs "$work/rootfs" -nonewprivs "$work/nonewprivs" -conf "$work/registries.conf" -addr-file "$work/addr" >"$work/images.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 600; i++)); do [ -s "$work/addr" ] && break; sleep 0.1; done
[ -s "$work/addr" ] || { cat "$work/images.log"; echo "critest: the image registry did not start" >&2; exit 1; }
chmod 644 "$work/registries.conf"

# The socket in a directory of the user's.
mkdir "$work/run" && chown "$user:" "$work/run"
# CRITEST_NETWORK=bridge: the pods on the user's shared bridge, and
# critest inside that network and user namespace (with a mount namespace
# of its own), where it reaches the pods' IPs and is root for its host-side
# mounts, as the issue suggests; else the server's default (pasta), with
# critest on the host.
net=${CRITEST_NETWORK:-pasta}
as "$bin/podctl" cri serve --listen "unix://$sock" --network "$net" >"$work/server.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$work/server.log"; echo "critest: podctl cri serve did not start" >&2; exit 1; }

args=(-runtime-endpoint "unix://$sock" -image-endpoint "unix://$sock" -ginkgo.no-color -ginkgo.v)
[ -z "${CRITEST_FOCUS:-}" ] || args+=(-ginkgo.focus "$CRITEST_FOCUS")
[ -z "${CRITEST_SKIP:-}" ] || args+=(-ginkgo.skip "$CRITEST_SKIP")
log=${CRITEST_LOG:-$work/critest.log}
rc=0
if [ "$net" = bridge ]; then
	# The shared network lives while a bridge pod does: this one holds it.
	chown -R "$user:" "$work/rootfs"
	as "$bin/podctl" run -d --name critest-net --network bridge --rootfs "$work/rootfs" -- sleep 100000 >/dev/null
	holder=$(pgrep -u "$user" -x podctl-netns)
	as nsenter -t "$holder" -U -n --preserve-credentials -- unshare -m --propagation private \
		"$tools/critest" "${args[@]}" >"$log" 2>&1 || rc=$?
else
	as "$tools/critest" "${args[@]}" >"$log" 2>&1 || rc=$?
fi
grep -E '^Ran [0-9]+ of [0-9]+ Specs|^(FAIL|SUCCESS)!|Passed \| ' "$log" || true
grep -E '^\s*\[FAIL\]' "$log" | sort -u || true
[ -z "${CRITEST_SERVER_LOG:-}" ] || cp "$work/server.log" "$CRITEST_SERVER_LOG"
exit $rc
