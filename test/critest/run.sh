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
#   - critest as that user, on the server's socket: on the host, then
#     inside the user's shared network (below says which specs where).
# CRITEST_FOCUS and CRITEST_SKIP pass -ginkgo.focus and -ginkgo.skip to the
# run on the host (CI runs a focused subset there, and all of the few
# specs of the run inside); each run's summary line, their sum and every
# failed spec are printed, and the logs are kept in CRITEST_LOG and
# CRITEST_LOG.inside if set. CRITEST_NETWORK=pasta runs the pods on pasta
# and critest on the host only.
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
as() { run_as "$user" "$rundir" / env CONTAINERS_REGISTRIES_CONF="$work/registries.conf" "$@"; }
pids=()
sock=$work/run/cri.sock
cleanup() {
	# The server is su's child: by its command line.
	pkill -f "cri serve --listen unix://$sock" 2>/dev/null || true
	pkill -u "$user" -x fwd 2>/dev/null || true
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
# critest's busybox image (1.29) is built without FEATURE_SH_STANDALONE: its
# sh execs /bin/ls, which MaskedPaths masks. Debian's busybox-static runs
# every applet inside the shell instead, whatever PATH says; Debian's
# dynamic busybox package does not. When apt can fetch that package, the
# images get it, with the libraries it loads; else they keep the static one
# (and MaskedPaths cannot pass).
if (cd "$work" && apt-get download -q busybox >/dev/null 2>&1) && dpkg-deb -x "$work"/busybox_*.deb "$work/bbdeb" 2>/dev/null; then
	cp "$work/bbdeb/bin/busybox" "$work/rootfs/bin/busybox"
	for lib in $(ldd "$work/rootfs/bin/busybox" | grep -o '/[^ ]*'); do
		mkdir -p "$work/rootfs$(dirname "$lib")"
		cp -L "$lib" "$work/rootfs$lib"
	done
	for applet in $("$work/rootfs/bin/busybox" --list); do
		[ -e "$work/rootfs/bin/$applet" ] || [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
	done
	echo "critest: the images' busybox is Debian's dynamic one ($(basename "$work"/busybox_*.deb))"
fi
# The busybox image critest uses has its applets as hard links of
# /bin/busybox, not symlinks: masking /bin/ls (MaskedPaths) hides ls alone.
for f in "$work/rootfs/bin/"*; do [ ! -L "$f" ] || ln -f "$work/rootfs/bin/busybox" "$f"; done
go build -o "$work/critest-images" ./test/critest/images
CGO_ENABLED=0 go build -o "$work/nonewprivs" ./test/critest/nonewprivs
CGO_ENABLED=0 go build -o "$work/fwd" ./test/critest/fwd
"$work/critest-images" -rootfs "$work/rootfs" -nonewprivs "$work/nonewprivs" -conf "$work/registries.conf" -addr-file "$work/addr" >"$work/images.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 600; i++)); do [ -s "$work/addr" ] && break; sleep 0.1; done
[ -s "$work/addr" ] || { cat "$work/images.log"; echo "critest: the image registry did not start" >&2; exit 1; }
chmod 644 "$work/registries.conf"

# The socket in a directory of the user's.
mkdir "$work/run" && chown "$user:" "$work/run"
# The pods are on the user's shared bridge network (--network bridge), and
# critest runs twice against the one server:
#   - on the host, as the user, for everything that talks to the host:
#     the streaming server and published ports on 127.0.0.1, ipcmk, logs;
#   - inside the shared network's user, network and mount namespaces
#     (the node's, for a rootless runtime), for the specs in $inside: those that
#     reach a pod by its IP, that compare the pods' user namespace with
#     critest's own (the node's, for a rootless runtime), or that mount
#     on the host side, which only root of a user namespace may do. The
#     streaming server (on the host's 127.0.0.1, at a port given) is
#     reached there through test/critest/fwd: 127.0.0.1:PORT inside, to
#     the shared network's gateway, which its pasta maps to the host's
#     loopback.
# This is how rootless containerd's CI runs critest too: inside
# rootlesskit's namespaces, where the runtime lives.
inside='Multiple Containers.*should support network|port mapping with only container port|runtime should support portforward \[|Mount Propagation|Container Mount Readonly|UserNamespaces'
net=${CRITEST_NETWORK:-bridge}
stream_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as "$bin/podctl" cri serve --listen "unix://$sock" --network "$net" --stream-port "$stream_port" >"$work/server.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { cat "$work/server.log"; echo "critest: podctl cri serve did not start" >&2; exit 1; }

args=(-runtime-endpoint "unix://$sock" -image-endpoint "unix://$sock" -ginkgo.no-color -ginkgo.v)
log=${CRITEST_LOG:-$work/critest.log}
rc=0
skip=${CRITEST_SKIP:-}
[ "$net" != bridge ] || skip=$inside${skip:+|$skip}
outside=("${args[@]}")
[ -z "$skip" ] || outside+=(-ginkgo.skip "$skip")
[ -z "${CRITEST_FOCUS:-}" ] || outside+=(-ginkgo.focus "$CRITEST_FOCUS")
as "$tools/critest" "${outside[@]}" >"$log" 2>&1 || rc=$?
if [ "$net" = bridge ]; then
	# The shared network lives while a bridge pod does: this one holds it.
	chown -R "$user:" "$work/rootfs"
	as "$bin/podctl" run -d --name critest-net --network bridge --rootfs "$work/rootfs" -- sleep 100000 >/dev/null
	# The holder of the shared network, as podctl records it (there may
	# be a second podctl-netns for a moment: a netconf stage).
	holder=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["holder"]["pid"])' "$rundir/podctl/network/network.json")
	gw=$(ip -4 route show default | awk '{ print $3; exit }')
	as nsenter -t "$holder" -U -n --preserve-credentials -- "$work/fwd" "127.0.0.1:$stream_port" "$gw:$stream_port" >"$work/fwd.log" 2>&1 &
	pids+=($!)
	in=("${args[@]}" -ginkgo.focus "$inside")
	[ -z "${CRITEST_SKIP:-}" ] || in+=(-ginkgo.skip "$CRITEST_SKIP")
	# The mount namespace too: the node's, where the server's pods copy
	# theirs from (NodeMounts), so that critest's host-side mounts are
	# where a hostPath volume finds them and propagation has somewhere
	# to go.
	as nsenter -t "$holder" -U -n -m --preserve-credentials -- \
		"$tools/critest" "${in[@]}" >"$log.inside" 2>&1 || rc=$?
	as "$bin/podctl" rm -f critest-net >/dev/null
fi
# The two runs' sums: ginkgo counts the specs the other run took as
# skipped.
summary() { grep -hE '^(SUCCESS|FAIL)! -- [0-9]+ Passed' "$log" "$log.inside" 2>/dev/null; }
summary
total=$(grep -ohE '^Ran [0-9]+ of [0-9]+ Specs' "$log" | awk '{ print $4 }')
summary | awk -v n="${total:-0}" '{ p += $3; f += $6 } END { printf "critest: %d passed, %d failed, %d skipped or not run, of %d specs\n", p, f, n - p - f, n }'
grep -hE '^\s*\[FAIL\]' "$log" "$log.inside" 2>/dev/null | sort -u || true
[ -z "${CRITEST_SERVER_LOG:-}" ] || cp "$work/server.log" "$CRITEST_SERVER_LOG"
exit $rc
