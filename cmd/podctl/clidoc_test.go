package main

import (
	"testing"

	"github.com/podctl/podctl/cmd/internal/clidoc"
)

// TestCLIDoc: docs/cli.md is what podctl's help text renders to (make docs
// rewrites it), and every visible command has its section.
func TestCLIDoc(t *testing.T) {
	elsewhere := map[string]string{}
	for _, n := range []string{"apply", "delete", "generate", "configmap", "secret"} {
		elsewhere[n] = "cli-kube.md"
	}
	for _, n := range []string{"pull", "load", "push", "login", "logout"} {
		elsewhere[n] = "cli-image.md"
	}
	for _, n := range []string{"images", "image", "rmi"} {
		elsewhere[n] = "cli-store.md"
	}
	elsewhere["cri"] = "cli-cri.md"
	clidoc.Check(t, newApp().cli, clidoc.Page{
		Title: "podctl command reference",
		Intro: `Generated from podctl's own help text by ` + "`make docs`" + `; edit the help
text in cmd/podctl, not this file (` + "`podctl CMD --help`" + ` prints the same). Flags
may follow the pod name (` + "`podctl logs web -c side`" + `), as in kubectl; ` + "`-it`" + ` is
` + "`-i -t`" + `. The image and manifest commands are carried out by the programs
podctl execs for them: [podctl-store](cli-store.md), [podctl-image](cli-image.md),
[podctl-kube](cli-kube.md), [podctl-cri](cli-cri.md).`,
		Elsewhere: elsewhere,
	}, "../../docs/cli.md")
}
