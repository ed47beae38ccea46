#!/bin/bash
# examples/kube-proxy/run.sh: the classic two-container pod, end to end.
# Builds the example's image (one static binary, webproxy/), loads it,
# makes the ConfigMap from proxy.conf, applies pod.yaml, fetches the page
# through the proxy, and removes everything. Run from the repository,
# after make build: examples/kube-proxy/run.sh
set -euo pipefail
cd "$(dirname "$0")"
podctl=${PODCTL:-../../bin/podctl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root"
CGO_ENABLED=0 go build -o "$work/root/webproxy" ./webproxy
(cd ../.. && go run ./test/mkimage -o "$work/image.tar" -name localhost/podctl-example/webproxy:1 \
	-entrypoint '["/webproxy"]' "$work/root")
"$podctl" load -q -i "$work/image.tar"
"$podctl" configmap rm proxy-conf 2>/dev/null || true
"$podctl" configmap create proxy-conf --from-file=proxy.conf
"$podctl" apply -f pod.yaml
"$podctl" wait --for condition=Ready --timeout 30s blog
"$podctl" ps
for i in $(seq 50); do
	if page=$(curl -fsS http://127.0.0.1:8888/ 2>/dev/null); then break; fi
	sleep 0.1
done
echo "curl 127.0.0.1:8888: $page"
"$podctl" delete -f pod.yaml
"$podctl" configmap rm proxy-conf
[ "$page" = "Hello from the page container, through the proxy" ]
