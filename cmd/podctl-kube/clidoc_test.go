package main

import (
	"testing"

	"github.com/podctl/podctl/cmd/internal/clidoc"
)

// TestCLIDoc: docs/cli-kube.md is what podctl-kube's help text renders to (make docs
// rewrites it), and every visible command has its section.
func TestCLIDoc(t *testing.T) {
	clidoc.Check(t, newApp(), clidoc.Page{
		Title: "podctl-kube command reference",
		Intro: "The Kubernetes manifest commands: podctl execs podctl-kube for them, so that k8s.io/api is not in podctl's own binary. Generated from podctl-kube's help text by `make docs`; edit the help text in cmd/podctl-kube.",
	}, "../../docs/cli-kube.md")
}
