package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/transports"
	"go.podman.io/image/v5/types"

	// The transports podctl supports register themselves here.
	_ "go.podman.io/image/v5/directory"
	_ "go.podman.io/image/v5/docker"
	_ "go.podman.io/image/v5/docker/archive"
	_ "go.podman.io/image/v5/oci/archive"
	_ "go.podman.io/image/v5/oci/layout"
	_ "go.podman.io/image/v5/storage"
)

// unsupported are transports of containers/image that podctl leaves out:
// named so that their users get a clear refusal, not "invalid image name".
var unsupported = map[string]string{
	"docker-daemon": "podctl talks to no docker daemon; export with docker save and use podctl load -i FILE",
	"sif":           "Singularity images are not supported",
	"ostree":        "ostree is not supported",
	"tarball":       "plain tarballs are not images; build one with a tool and load it",
}

// supportedTransports lists the registered ones, for messages.
func supportedTransports() string {
	names := transports.ListNames()
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseTransportRef reads TRANSPORT:REFERENCE (containers-transports(5)).
// ok is false when s names no transport: then it is a registry name.
func parseTransportRef(s string) (ref types.ImageReference, ok bool, err error) {
	name, rest, found := strings.Cut(s, ":")
	if !found || strings.ContainsAny(name, "/.") {
		return nil, false, nil
	}
	if why, bad := unsupported[name]; bad {
		return nil, true, fmt.Errorf("%s: transport %q is not supported: %s (podctl knows %s)", s, name, why, supportedTransports())
	}
	t := transports.Get(name)
	if t == nil {
		return nil, false, nil
	}
	ref, err = t.ParseReference(rest)
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", s, err)
	}
	return ref, true, nil
}

// systemContext carries the registry options of the command line.
func systemContext(c *cli.Context) *types.SystemContext {
	sys := &types.SystemContext{AuthFilePath: c.String("authfile")}
	if c.IsSet("tls-verify") {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!c.Bool("tls-verify"))
	}
	return sys
}

// policyContext is the signature policy of /etc/containers/policy.json (or
// $HOME/.config/containers/policy.json), as every containers/image tool
// applies it; without one, podctl refuses, as podman does.
func policyContext(sys *types.SystemContext) (*signature.PolicyContext, error) {
	p, err := signature.DefaultPolicy(sys)
	if err != nil {
		return nil, fmt.Errorf("%w (the image signature policy; Debian's containers-common package installs a default that accepts unsigned images)", err)
	}
	return signature.NewPolicyContext(p)
}

// copyImage copies src to dst with podman's reporting: progress bars on
// a terminal, one line per blob otherwise (containers/image decides).
func copyImage(ctx context.Context, sys *types.SystemContext, dst, src types.ImageReference, quiet bool) ([]byte, error) {
	pc, err := policyContext(sys)
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	o := &copy.Options{SourceCtx: sys, DestinationCtx: sys, ReportWriter: os.Stderr}
	if quiet {
		o.ReportWriter = nil
	}
	return copy.Image(ctx, pc, dst, src, o)
}
