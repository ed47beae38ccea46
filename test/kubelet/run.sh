#!/bin/bash
# test/kubelet/run.sh: a real kubelet (Kubernetes v1.37.2, make kubelet)
# runs a static pod through podctl's CRI server, as root:
#   - the two-container proxy example (examples/kube-proxy), as a static
#     pod (a hostPath for its configuration: a static pod has no ConfigMap),
#     becomes Ready by the kubelet's own probes;
#   - it answers on its hostPort;
#   - a container killed with SIGKILL is restarted by the kubelet (attempt
#     1, restartCount 1), and the pod is Ready again;
#   - crictl sees the sandbox and the containers the kubelet made.
# The kubelet runs standalone (--config with staticPodPath, no API server),
# with the server's pods on podctl's bridge network (the kubelet probes the
# pod's IP from the host, which a pasta pod's copy of the host's address
# does not allow). Everything runs in a network and mount namespace of its
# own (unshare), so that what the kubelet makes (its iptables chains, its
# bind mounts, /var/lib/kubelet/device-plugins) and the bridge go with it;
# the pods are removed through the CRI at the end.
#
# Args: BINDIR (podctl and its helpers; crictl and kubelet there or in
# BINDIR/tools). Called by
# test/run-tests.sh as root; `make kubelet-test` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(cd "${1:?usage: test/kubelet/run.sh BINDIR}" && pwd)
# crictl and kubelet: in BINDIR, or in BINDIR/tools (make's bin/tools).
tools=$bin
[ -x "$tools/kubelet" ] || tools=$bin/tools
[ "$(id -u)" = 0 ] || { echo "test/kubelet/run.sh: run as root" >&2; exit 1; }
work=$(mktemp -d /tmp/podctl-kubelet.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# The example's image (webproxy, one static binary), in root's store.
mkdir -p "$work/img/root" "$work/manifests" "$work/etc" "$work/logs" "$work/root"
CGO_ENABLED=0 go build -o "$work/img/root/webproxy" ./examples/kube-proxy/webproxy
go run ./test/mkimage -o "$work/img/image.tar" -name localhost/podctl-example/webproxy:1 \
	-entrypoint '["/webproxy"]' "$work/img/root"
"$bin/podctl" load -q -i "$work/img/image.tar" >/dev/null
cp examples/kube-proxy/proxy.conf "$work/etc/"

# The static pod: examples/kube-proxy/pod.yaml with a hostPath for the
# ConfigMap, and the page serving on every address of the pod, since the
# kubelet's tcpSocket probe dials the pod's IP (podctl's own supervisor
# probes inside the pod, where 127.0.0.1 does).
cat >"$work/manifests/blog.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: blog
  namespace: default
spec:
  volumes:
  - name: proxy-conf
    hostPath: {path: $work/etc, type: Directory}
  containers:
  - name: proxy
    image: localhost/podctl-example/webproxy:1
    imagePullPolicy: Never
    args: ["proxy", "/etc/proxy/proxy.conf"]
    ports:
    - {containerPort: 80, hostPort: 8888, hostIP: 127.0.0.1}
    readinessProbe:
      httpGet: {path: /, port: 80}
      periodSeconds: 1
    volumeMounts:
    - {name: proxy-conf, mountPath: /etc/proxy, readOnly: true}
  - name: page
    image: localhost/podctl-example/webproxy:1
    imagePullPolicy: Never
    args: ["serve", ":2368", "Hello from the page container, through the proxy"]
    readinessProbe:
      tcpSocket: {port: 2368}
      periodSeconds: 1
    securityContext: {runAsUser: 1000, runAsNonRoot: true}
EOF
# Standalone: no API server, anonymous read of its own port on loopback
# (the test reads the pods' status there). cgroupsPerQOS off: podctl
# makes its pods' cgroups itself. failCgroupV1 off: this machine's
# hierarchy is hybrid (the VM's is v2).
cat >"$work/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: $work/manifests
containerRuntimeEndpoint: unix://$work/cri.sock
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
podLogsDir: $work/logs
EOF

cat >"$work/inside.sh" <<'EOF'
#!/bin/bash
# In the namespaces of our own: the server, the kubelet, the checks.
set -euo pipefail
work=$1 bin=$2 tools=$3
ip link set lo up
mount --make-rprivate /
# The kubelet's fixed device-plugins directory, on a tmpfs of ours.
mount -t tmpfs -o size=1m,mode=755 tmpfs /var/lib/kubelet
crictl() { "$tools/crictl" -r "unix://$work/cri.sock" -i "unix://$work/cri.sock" "$@" 2>/dev/null; }
fail() { echo "kubelet test: $*" >&2; echo "--- server"; tail -n 30 "$work/server.log"; echo "--- kubelet"; grep -E '^E' "$work/kubelet.log" | tail -n 30; exit 1; }
"$bin/podctl" cri serve --listen "unix://$work/cri.sock" --network bridge >"$work/server.log" 2>&1 &
server=$!
"$tools/kubelet" --config "$work/config.yaml" --root-dir "$work/root" --hostname-override podctl-node >"$work/kubelet.log" 2>&1 &
kubelet=$!
cleanup() {
	kill "$kubelet" 2>/dev/null && wait "$kubelet" 2>/dev/null || true
	crictl rmp -fa >/dev/null || true
	kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
# status: "READY RESTARTS-OF-PAGE" from the kubelet's own view of the pod.
status() {
	curl -sk https://127.0.0.1:10250/pods | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    ready = [c["status"] for c in p["status"].get("conditions", []) if c["type"] == "Ready"]
    page = [c["restartCount"] for c in p["status"].get("containerStatuses", []) if c["name"] == "page"]
    print(ready[0] if ready else "None", page[0] if page else -1)' 2>/dev/null || true
}
wait_for() { # wait_for WANT WHAT: until status says WANT, 3 minutes at most
	for ((i = 0; i < 360; i++)); do
		[ "$(status)" = "$1" ] && return 0
		kill -0 "$kubelet" 2>/dev/null || fail "the kubelet exited"
		sleep 0.5
	done
	fail "$2: the kubelet says '$(status)', want '$1'"
}
wait_for "True 0" "the static pod did not become Ready"
echo "the kubelet's static pod is Ready"
[ "$(crictl pods --name blog -q --state ready | wc -l)" = 1 ] || fail "crictl pods: $(crictl pods)"
[ "$(crictl ps -q --state running | wc -l)" = 2 ] || fail "crictl ps: $(crictl ps -a)"
page=$(curl -sS -m 5 http://127.0.0.1:8888/) || fail "nothing answers on the hostPort 8888"
[ "$page" = "Hello from the page container, through the proxy" ] || fail "hostPort 8888 answered '$page'"
echo "the hostPort answers: $page"
pid=$(pgrep -f 'webproxy serve') || fail "no page process"
kill -9 $pid
echo "killed the page container's process ($pid)"
wait_for "True 1" "the killed container was not restarted"
[ "$(crictl ps -q --name page --state running | wc -l)" = 1 ] && [ "$(crictl ps -a -q --name page | wc -l)" = 2 ] ||
	fail "after the restart, crictl ps -a: $(crictl ps -a)"
echo "the kubelet restarted it: attempt 1 runs, attempt 0 exited, the pod is Ready"
EOF
chmod 755 "$work/inside.sh"
# The mount point of that tmpfs (removed again if we made it).
made_varlib=0
[ -d /var/lib/kubelet ] || { mkdir /var/lib/kubelet; made_varlib=1; }
rc=0
unshare --net --mount --propagation private "$work/inside.sh" "$work" "$bin" "$tools" || rc=$?
((made_varlib)) && rmdir /var/lib/kubelet
((rc == 0)) || exit $rc
# The pods went through the CRI; nothing of them may be left.
left=$("$bin/podctl" ps -a | tail -n +2)
[ -z "$left" ] || { echo "kubelet test: pods left behind: $left" >&2; exit 1; }
"$bin/podctl" rmi localhost/podctl-example/webproxy:1 >/dev/null
echo "kubelet test: passed"
