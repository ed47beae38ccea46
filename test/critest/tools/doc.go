// Package tools pins cri-tools' critest v1.37.0, the CRI validation suite
// that test/critest/run.sh runs against podctl's CRI server. critest is a
// Ginkgo test binary: make critest builds it with `go test -c` of
// sigs.k8s.io/cri-tools/cmd/critest in this module, which keeps cri-tools,
// Ginkgo and Gomega out of podctl's go.mod.
package tools
