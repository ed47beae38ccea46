package main

import (
	"testing"

	"github.com/podctl/podctl/cmd/internal/clidoc"
)

// TestCLIDoc: docs/cli-cri.md is what podctl-cri's help text renders to
// (make docs rewrites it), and every visible command has its section.
func TestCLIDoc(t *testing.T) {
	clidoc.Check(t, newApp(), clidoc.Page{
		Title: "podctl-cri command reference",
		Intro: "The CRI server: podctl execs podctl-cri for `podctl cri`, so that gRPC and k8s.io/cri-api are not in podctl's own binary. See [cri.md](cri.md) for what it serves and how to run it. Generated from podctl-cri's help text by `make docs`; edit the help text in cmd/podctl-cri.",
	}, "../../docs/cli-cri.md")
}
