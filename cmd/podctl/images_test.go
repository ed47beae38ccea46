package main

import (
	"testing"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/nsenter"
)

// The helpers' table (nsenter/handover.c), which podctl's C constructor
// follows before Go starts, gives each handed-over command the binary
// that implements it, and none to podctl's own commands.
func TestHelperTable(t *testing.T) {
	want := map[[2]string]string{
		{"images", ""}: images.StoreBinary, {"rmi", "x"}: images.StoreBinary,
		{"image", ""}: images.StoreBinary, {"image", "ls"}: images.StoreBinary,
		{"image", "rm"}: images.StoreBinary, {"image", "inspect"}: images.StoreBinary,
		{"image", "prune"}: images.StoreBinary,
		{"image", "pull"}:  images.TransportBinary, {"image", "load"}: images.TransportBinary,
		{"image", "push"}: images.TransportBinary,
		{"pull", ""}:      images.TransportBinary, {"load", "-i"}: images.TransportBinary,
		{"push", ""}: images.TransportBinary, {"login", ""}: images.TransportBinary,
		{"logout", ""}:  images.TransportBinary,
		{"apply", "-f"}: images.KubeBinary, {"delete", ""}: images.KubeBinary,
		{"generate", "kube"}: images.KubeBinary, {"configmap", ""}: images.KubeBinary,
		{"secret", ""}:   images.KubeBinary,
		{"cri", "serve"}: images.CRIBinary,
		// podctl's own.
		{"run", "apply"}: "", {"exec", ""}: "", {"ps", ""}: "", {"pod", "images"}: "",
		{"", ""}: "", {"Apply", ""}: "", {"apply2", ""}: "",
	}
	for k, bin := range want {
		if got := nsenter.HelperFor(k[0], k[1]); got != bin {
			t.Errorf("HelperFor(%q, %q) = %q, want %q", k[0], k[1], got, bin)
		}
	}
	// Every command the CLI hands over has a helper in the table.
	for _, c := range imageCommands() {
		if nsenter.HelperFor(c.Name, "") == "" {
			t.Errorf("command %s is handed over, but the table names no helper", c.Name)
		}
	}
}
