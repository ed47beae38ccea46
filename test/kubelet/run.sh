#!/bin/bash
# test/kubelet/run.sh: a real kubelet (Kubernetes v1.37.2, make kubelet)
# runs a static pod through podctl's CRI server, as root and rootless:
#   - the two-container proxy example (examples/kube-proxy), as a static
#     pod (a hostPath for its configuration: a static pod has no ConfigMap),
#     becomes Ready by the kubelet's own probes;
#   - it answers on its hostPort;
#   - a container killed with SIGKILL is restarted by the kubelet (attempt
#     1, restartCount 1), and the pod is Ready again;
#   - crictl sees the sandbox and the containers the kubelet made.
# The kubelet runs standalone (--config with staticPodPath, no API server),
# with the server's pods on podctl's bridge network (the kubelet probes the
# pod's IP, which a pasta pod's copy of the host's address does not allow).
#   - As root, the server and the kubelet run in a network and mount
#     namespace of the test's own, so that what the kubelet makes (its
#     iptables chains, its bind mounts, /var/lib/kubelet/device-plugins,
#     /var/log/containers) and the bridge go with them.
#   - Rootless (the user $TEST_USER, podctl-test by default), the server
#     runs as that user, and the kubelet, with its KubeletInUserNamespace
#     gate, inside the user's shared network (the user and network
#     namespaces of --network bridge, held by podctl-netns) and a mount
#     namespace of its own, where it is root and reaches the pods' IPs, as
#     rootless Kubernetes runs its kubelet (usernetes, kind rootless).
# The pods are removed through the CRI at the end; nothing may be left.
#
# Args: BINDIR (podctl and its helpers; crictl and kubelet there or in
# BINDIR/tools). Env: TEST_USER (the rootless run's user, made by
# test/lib.sh's setup_test_user; "none" skips the rootless run). Called by
# test/run-tests.sh as root; `make kubelet-test` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh
bin=$(cd "${1:?usage: test/kubelet/run.sh BINDIR}" && pwd)
# crictl and kubelet: in BINDIR, or in BINDIR/tools (make's bin/tools).
tools=$bin
[ -x "$tools/kubelet" ] || tools=$bin/tools
[ "$(id -u)" = 0 ] || { echo "test/kubelet/run.sh: run as root" >&2; exit 1; }
work=$(mktemp -d /tmp/podctl-kubelet.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
chmod 755 "$work"

# The example's image (webproxy, one static binary).
mkdir -p "$work/img/root" "$work/manifests" "$work/etc"
CGO_ENABLED=0 go build -o "$work/img/root/webproxy" ./examples/kube-proxy/webproxy
go run ./test/mkimage -o "$work/img/image.tar" -name localhost/podctl-example/webproxy:1 \
	-entrypoint '["/webproxy"]' "$work/img/root"
cp examples/kube-proxy/proxy.conf "$work/etc/"

# The static pod, shared with TestCgroupV2Kubelet.
sed "s|@ETC@|$work/etc|" test/e2e/testdata/kubelet-blog.yaml >"$work/manifests/blog.yaml"
chmod -R a+rX "$work"

# prepare RUN OWNER: the run's directory and its kubelet configuration.
# Standalone: no API server, anonymous read of its own port on loopback
# (the test reads the pods' status there). cgroupsPerQOS off: podctl makes
# its pods' cgroups itself. failCgroupV1 off: this machine's hierarchy is
# hybrid (the VM's is v2).
prepare() {
	mkdir -p "$1/logs" "$1/root"
	cat >"$1/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: $work/manifests
containerRuntimeEndpoint: unix://$1/cri.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
address: 127.0.0.1
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
port: 10250
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
localStorageCapacityIsolation: false
podLogsDir: $1/logs
YAML
	chown -R "$2:" "$1"
}

# scenario RUN MODE: the checks, with RUN the run's directory, and these
# set by the caller:
#   as CMD...       runs CMD as the server's user;
#   innet CMD...    runs CMD in the network namespace of the pods' bridge
#                   (where the kubelet listens on 127.0.0.1:10250);
#   hostnet CMD...  runs CMD where the hostPort is bound;
#   start_kubelet   starts the kubelet in the background.
scenario() {
	local run=$1 mode=$2 i page pid
	crictl() { as "$tools/crictl" -r "unix://$run/cri.sock" -i "unix://$run/cri.sock" "$@" 2>/dev/null; }
	fail() {
		echo "kubelet test ($mode): $*" >&2
		echo "--- server"
		tail -n 30 "$run/server.log"
		echo "--- kubelet"
		grep -E '^[EF]' "$run/kubelet.log" | tail -n 30
		return 1
	}
	# status: "READY RESTARTS-OF-PAGE", the kubelet's own view of the pod.
	status() {
		innet curl -sk https://127.0.0.1:10250/pods | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    ready = [c["status"] for c in p["status"].get("conditions", []) if c["type"] == "Ready"]
    page = [c["restartCount"] for c in p["status"].get("containerStatuses", []) if c["name"] == "page"]
    print(ready[0] if ready else "None", page[0] if page else -1)' 2>/dev/null || true
	}
	wait_for() { # wait_for WANT WHAT: until status says WANT, 3 minutes at most
		for ((i = 0; i < 360; i++)); do
			[ "$(status)" = "$1" ] && return 0
			pgrep -f "kubelet --config $run/config.yaml" >/dev/null || { fail "the kubelet exited"; return 1; }
			sleep 0.5
		done
		fail "$2: the kubelet says '$(status)', want '$1'"
	}
	start_kubelet
	wait_for "True 0" "the static pod did not become Ready" || return 1
	echo "($mode) the kubelet's static pod is Ready"
	[ "$(crictl pods --name blog -q --state ready | wc -l)" = 1 ] || { fail "crictl pods: $(crictl pods)"; return 1; }
	[ "$(crictl ps -q --state running | wc -l)" = 2 ] || { fail "crictl ps: $(crictl ps -a)"; return 1; }
	page=$(hostnet curl -sS -m 5 http://127.0.0.1:8888/) || { fail "nothing answers on the hostPort 8888"; return 1; }
	[ "$page" = "Hello from the page container, through the proxy" ] || { fail "hostPort 8888 answered '$page'"; return 1; }
	echo "($mode) the hostPort answers: $page"
	pid=$(pgrep -f 'webproxy serve :2368') || { fail "no page process"; return 1; }
	kill -9 $pid
	echo "($mode) killed the page container's process ($pid)"
	wait_for "True 1" "the killed container was not restarted" || return 1
	[ "$(crictl ps -q --name page --state running | wc -l)" = 1 ] && [ "$(crictl ps -a -q --name page | wc -l)" = 2 ] ||
		{ fail "after the restart, crictl ps -a: $(crictl ps -a)"; return 1; }
	echo "($mode) the kubelet restarted it: attempt 1 runs, attempt 0 exited, the pod is Ready"
}

# stop_all RUN: the kubelet, the pods through the CRI, the server.
stop_all() {
	local i
	pkill -f "kubelet --config $1/config.yaml" || true
	for ((i = 0; i < 50; i++)); do pgrep -f "kubelet --config $1/config.yaml" >/dev/null || break; sleep 0.1; done
	as "$tools/crictl" -r "unix://$1/cri.sock" -i "unix://$1/cri.sock" rmp -fa >/dev/null 2>&1 || true
	pkill -f "cri serve --listen unix://$1/cri.sock" || true
	for ((i = 0; i < 50; i++)); do pgrep -f "cri serve --listen unix://$1/cri.sock" >/dev/null || break; sleep 0.1; done
}

rc=0
# --- As root: network and mount namespaces of the test's own, held by a
# sleeping process; the kubelet's fixed directories on tmpfs there (their
# mount points made on the host if missing, and removed again).
run=$work/root-run
prepare "$run" root
"$bin/podctl" load -q -i "$work/img/image.tar" >/dev/null
made=()
for d in /var/lib/kubelet /var/log/containers /var/log/pods; do
	[ -d $d ] || { mkdir $d && made+=($d); }
done
unshare --net --mount --propagation private sleep infinity &
holder=$!
for ((i = 0; i < 50; i++)); do
	[ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.05
done
nsenter -t $holder -n ip link set lo up
for d in /var/lib/kubelet /var/log/containers /var/log/pods; do
	nsenter -t $holder -m mount -t tmpfs -o size=4m,mode=755 tmpfs $d
done
as() { "$@"; }
innet() { nsenter -t $holder -n "$@"; }
hostnet() { innet "$@"; }
start_kubelet() {
	nsenter -t $holder -n -m "$tools/kubelet" --config "$run/config.yaml" --root-dir "$run/root" \
		--hostname-override podctl-node >"$run/kubelet.log" 2>&1 &
}
nsenter -t $holder -n -m "$bin/podctl" cri serve --listen "unix://$run/cri.sock" --network bridge >"$run/server.log" 2>&1 &
scenario "$run" root || rc=1
stop_all "$run"
kill $holder
wait $holder 2>/dev/null || true
for d in "${made[@]}"; do rmdir $d; done
left=$("$bin/podctl" ps -a | tail -n +2)
[ -z "$left" ] || { echo "kubelet test (root): pods left behind: $left" >&2; rc=1; }
"$bin/podctl" rmi localhost/podctl-example/webproxy:1 >/dev/null || rc=1

# --- Rootless: the user's server; the kubelet in the user's shared network.
user=${TEST_USER:-podctl-test}
if [ "$user" != none ]; then
	setup_test_user "$user" # sets $rundir
	run=$work/user-run
	prepare "$run" "$user"
	echo "featureGates: {KubeletInUserNamespace: true}" >>"$run/config.yaml"
	as() { run_as "$user" "$rundir" / "$@"; }
	as "$bin/podctl" load -q -i "$work/img/image.tar" >/dev/null
	as "$bin/podctl" cri serve --listen "unix://$run/cri.sock" --network bridge >"$run/server.log" 2>&1 &
	# The shared network exists while a bridge pod does: this one only
	# holds it for the kubelet, which lives in it from its start.
	as "$bin/podctl" run -d --name kubelet-net --network bridge localhost/podctl-example/webproxy:1 serve :1 x >/dev/null
	holder=$(pgrep -u "$user" -x podctl-netns)
	innet() { nsenter -t $holder -n "$@"; }
	hostnet() { "$@"; }
	start_kubelet() {
		# /var/lib and /var/log, the kubelet's fixed directories, on
		# tmpfs in a mount namespace of its own (the user may write
		# neither).
		as nsenter -t $holder -U -n --preserve-credentials -- unshare -m --propagation private sh -c \
			'mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /var/log && exec "$@"' sh \
			"$tools/kubelet" --config "$run/config.yaml" --root-dir "$run/root" --hostname-override podctl-node \
			>"$run/kubelet.log" 2>&1 &
	}
	scenario "$run" rootless || rc=1
	stop_all "$run"
	as "$bin/podctl" rm -f kubelet-net >/dev/null || rc=1
	left=$(as "$bin/podctl" ps -a | tail -n +2)
	[ -z "$left" ] || { echo "kubelet test (rootless): pods left behind: $left" >&2; rc=1; }
	as "$bin/podctl" rmi localhost/podctl-example/webproxy:1 >/dev/null || rc=1
fi
if ((rc == 0)); then echo "kubelet test: passed"; else echo "kubelet test: FAILED"; fi
exit $rc
