# podctl: build, test, lint, demo, bench. `make help` lists the targets.
GO      ?= go
# osusergo and netgo keep the static binary
# free of glibc's NSS, so it needs no shared library at run time. The
# exclude_graphdriver_* and containers_image_openpgp tags build
# containers-storage and containers/image without C libraries (btrfs,
# devicemapper, gpgme), as podman's static builds do.
TAGS    := osusergo,netgo,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper,containers_image_openpgp
# One version in every binary (package version): git describe of the tree.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
XVERSION := -X github.com/podctl/podctl/version.Version=$(VERSION)
# Static: no dynamic loader, faster stages and a smaller pause (see README).
LDFLAGS := -s -w -extldflags=-static $(XVERSION)
# Go 1.26's default collector (green tea) keeps each small-object span's
# mark bits inside the span, so a new span touches its last page as well as
# its first: more pages touched in every start of a Go process, where a
# page first touched is dear (perf stat of `podctl --version`, 8 alternating
# rounds of 60: median 368 against 341 page faults, 12.1 against 10.9 ms;
# an earlier round, 345 against 265). podctl's processes are short or
# small, so they keep the collector before it; the CRI server, long-lived,
# does not. (Go 1.27 is to drop this opt-out; then this line goes.)
SHORTGC := GOEXPERIMENT=nogreenteagc
SOURCES := $(shell find . -name '*.go' -o -name '*.c' -o -name '*.h') go.mod go.sum

.PHONY: build test lint demo bench bench-smoke help print-tags docs architecture crictl kubelet kubelet-test critest
build: bin/podctl bin/podctl-net bin/podctl-store bin/podctl-image bin/podctl-kube bin/podctl-cri ## build bin/podctl and its helpers podctl-net, podctl-store, podctl-image, podctl-kube and podctl-cri

bin/podctl: $(SOURCES)
	$(SHORTGC) CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/podctl

# The network processes that need net/http, crypto/tls, netlink and
# nftables (probes, the bridge network's netconf, the ports forwarder): not
# linked into podctl, whose every start would pay their initialisation and
# pages; see cmd/podctl-net.
bin/podctl-net: $(SOURCES)
	$(SHORTGC) CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/podctl-net

# The image store (its helper, images, rmi) and the image transports (pull,
# load, push, login): binaries of their own, see cmd/podctl-store and
# cmd/podctl-image. Not static: they never run inside a pod (and the static
# glibc would warn about the PKCS#11 code's dlopen).
bin/podctl-store: $(SOURCES)
	$(SHORTGC) CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '-s -w $(XVERSION)' -o $@ ./cmd/podctl-store

bin/podctl-image: $(SOURCES)
	$(SHORTGC) CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '-s -w $(XVERSION)' -o $@ ./cmd/podctl-image

# Kubernetes manifests (apply, delete, generate kube, configmap, secret):
# k8s.io/api costs a process 11 MB of binary and 1.5 ms of start-up, which
# no pod's stages should pay; see cmd/podctl-kube.
bin/podctl-kube: $(SOURCES)
	$(SHORTGC) CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/podctl-kube

# The CRI server (podctl cri serve): gRPC and k8s.io/cri-api stay out of
# podctl's own binary, as k8s.io/api does; see cmd/podctl-cri.
bin/podctl-cri: $(SOURCES)
	CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./cmd/podctl-cri

# cri-tools' crictl, which the CRI tests drive podctl cri serve with:
# pinned, built from the Go module proxy, never committed.
CRICTL_VERSION := v1.37.0
bin/tools/crictl:
	GOBIN=$(CURDIR)/bin/tools $(GO) install sigs.k8s.io/cri-tools/cmd/crictl@$(CRICTL_VERSION)

crictl: bin/tools/crictl ## build cri-tools' crictl (pinned) into bin/tools

# A real kubelet (Kubernetes v1.37.2) for test/kubelet/run.sh, built from
# the Go module proxy in a module of its own (test/kubelet/tools).
KUBE_VERSION := v1.37.2
KUBE_X := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37
bin/tools/kubelet: test/kubelet/tools/go.mod test/kubelet/tools/go.sum
	cd test/kubelet/tools && $(GO) build -ldflags '-s -w $(KUBE_X)' -o $(CURDIR)/bin/tools/kubelet k8s.io/kubernetes/cmd/kubelet

kubelet: bin/tools/kubelet ## build Kubernetes' kubelet (pinned) into bin/tools

kubelet-test: build bin/tools/crictl bin/tools/kubelet ## as root: a real kubelet runs a static pod through podctl cri serve, as root and rootless (test/kubelet)
	test/kubelet/run.sh bin

# cri-tools' critest v1.37.0, the CRI validation suite: a Ginkgo test
# binary (go test -c), built in a module of its own (test/critest/tools).
bin/tools/critest: test/critest/tools/go.mod test/critest/tools/go.sum
	cd test/critest/tools && $(GO) test -c -o $(CURDIR)/bin/tools/critest sigs.k8s.io/cri-tools/cmd/critest

critest: build bin/tools/critest ## as root: critest against podctl cri serve, rootless (test/critest; CRITEST_FOCUS, CRITEST_SKIP)
	test/critest/run.sh bin

test: build bin/tools/crictl bin/tools/kubelet bin/tools/critest ## lint, unit tests, then end-to-end tests (rootless, and as root when run by root)
	test/run-tests.sh

lint: ## gofmt and go vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet -tags $(TAGS) ./...

demo: build ## build a busybox rootfs and run a demo pod
	test/demo.sh

bench: build ## benchmarks side by side with bubblewrap (test/bench)
	test/bench/run.sh

docs: ## rewrite the command references (docs/cli*.md) from the CLI's help text
	$(GO) test -tags $(TAGS) -count=1 -run TestCLIDoc ./cmd/podctl ./cmd/podctl-kube ./cmd/podctl-image ./cmd/podctl-store ./cmd/podctl-cri -args -update

architecture: ## redraw docs/architecture.svg from docs/architecture.dot (graphviz)
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg

print-tags: # the build tags, for test/run-tests.sh
	@echo $(TAGS)

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

bench-smoke: build ## one iteration of each benchmark, to keep the harness working (CI)
	test/bench/run.sh --smoke
