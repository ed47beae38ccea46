package main

import (
	"testing"

	"github.com/podctl/podctl/cmd/internal/clidoc"
)

// TestCLIDoc: docs/cli-image.md is what podctl-image's help text renders to (make docs
// rewrites it), and every visible command has its section.
func TestCLIDoc(t *testing.T) {
	clidoc.Check(t, newApp(), clidoc.Page{
		Title: "podctl-image command reference",
		Intro: "The image transport commands: podctl execs podctl-image for them (containers/image). Generated from podctl-image's help text by `make docs`; edit the help text in cmd/podctl-image.",
	}, "../../docs/cli-image.md")
}
