package main

import (
	"testing"

	"github.com/podctl/podctl/cmd/internal/clidoc"
)

// TestCLIDoc: docs/cli-store.md is what podctl-store's help text renders to (make docs
// rewrites it), and every visible command has its section.
func TestCLIDoc(t *testing.T) {
	clidoc.Check(t, newApp(), clidoc.Page{
		Title: "podctl-store command reference",
		Intro: "The image store commands: podctl execs podctl-store for them (containers-storage, shared with podman). Generated from podctl-store's help text by `make docs`; edit the help text in cmd/podctl-store.",
	}, "../../docs/cli-store.md")
}
