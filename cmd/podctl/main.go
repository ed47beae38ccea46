// Command podctl runs Kubernetes-style pods as an unprivileged user.
//
// One binary plays every role. Before the CLI parses anything, main lets
// sandbox.StageMain run this process's hidden role, if it has one: a
// container's init that nsenter's C constructor has just forked into a
// pod, a pod's detached supervisor, the shared network's netconf stage, a
// port forwarder. The other hidden stages (the pause, the join, the
// keeper) never reach Go at all. None of them is a user-visible command.
// Everything else goes through the pod API, package sandbox.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
)

func main() {
	sandbox.StageMain() // returns only in the CLI's process
	code, err := newApp().run(os.Args)
	// podctl exec's join stage, forked before main (nsenter.c,
	// fork_join_early), if the command did not take it: ended and reaped.
	sandbox.ReleaseExecStage()
	if err != nil {
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		var ee *model.ExecError
		var xe *cli.ExitError
		var ue usageError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode
		case errors.As(err, &xe):
			code = xe.Code
		case errors.As(err, &ue):
			code = 125
		case code == 0:
			// podctl's own failure, as podman and docker report it.
			code = 125
		}
	}
	os.Exit(code)
}
