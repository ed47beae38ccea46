package main

import (
	"os"
	"syscall"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/nsenter"
)

// The image commands are podctl-store's (the store: images, rmi, image
// ls|rm|inspect|prune) and podctl-image's (the transports: pull, load,
// push, login, logout), whose libraries podctl's own binary must not carry
// (see their package comments). podctl execs them with the same command
// line. The same for podctl-kube's commands (Kubernetes manifests) and
// podctl-cri's (the CRI server).

var imageUsage = map[string]string{
	"images": "list the images of the store (podman's, shared)",
	"image":  "manage images: ls, rm, inspect, prune, pull, load, push",
	"rmi":    "remove images (or one of an image's several names)",
	"pull":   "copy an image into the store from a registry or an archive",
	"load":   "load images from a docker-archive or oci-archive tarball",
	"push":   "copy an image of the store to a registry or an archive",
	"login":  "keep a registry's credentials in auth.json",
	"logout": "forget a registry's credentials",
	// podctl-kube's (Kubernetes manifests, k8s.io/api).
	"apply":     "make the Pods, ConfigMaps and Secrets of Kubernetes manifests: apply -f FILE (kubectl's)",
	"delete":    "remove the Pods, ConfigMaps and Secrets of manifests: delete -f FILE",
	"generate":  "print a pod as a Pod manifest: generate kube POD",
	"configmap": "ConfigMaps for pods made with apply: create NAME --from-file=F, ls, rm",
	"secret":    "Secrets for pods made with apply: create NAME --from-literal=K=V, ls, rm",
	// podctl-cri's (gRPC, k8s.io/cri-api).
	"cri": "the Container Runtime Interface for a kubelet, crictl or critest: cri serve",
}

// imageCommands are the commands handed over to podctl-image.
func imageCommands() []*cli.Command {
	var out []*cli.Command
	for _, name := range []string{"images", "image", "rmi", "pull", "load", "push", "login", "logout",
		"apply", "delete", "generate", "configmap", "secret", "cri"} {
		out = append(out, imageCommand(name))
	}
	return out
}

func imageCommand(name string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           imageUsage[name],
		SkipFlagParsing: true,
		// podctl's C constructor has exec'd the helper already where it
		// is beside podctl (nsenter/handover.c); this is the rest: one
		// found in $PATH, or the error that names the missing one.
		Action: func(c *cli.Context) error {
			bin := nsenter.HelperFor(name, c.Args().First())
			path, err := images.Binary(bin)
			if err != nil {
				return err
			}
			args := append([]string{bin, name}, c.Args().Slice()...)
			// exec, not a child: the helper's exit status and signals
			// are the command's own.
			return syscall.Exec(path, args, os.Environ())
		},
	}
}
