//go:build tools

// Package tools pins the kubelet that test/kubelet/run.sh runs against
// podctl's CRI server: Kubernetes v1.37.2's, built from the Go module proxy
// (make kubelet). A module of its own, so that k8s.io/kubernetes and its
// staging modules (pinned by replace to their published v0.37.2, as
// k8s.io/kubernetes' own go.mod points them at ./staging) never enter
// podctl's go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kubelet/app"
