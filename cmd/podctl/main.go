// Command podctl runs Kubernetes-style pods as an unprivileged user.
//
// One binary plays every role. Before the CLI parses anything, main asks
// package nsenter whether this process is a container init that the C
// constructor has just forked into a pod, or a pod's detached supervisor;
// if so it runs that role and nothing else; the same for the netconf stage,
// which configures the shared network from inside its namespaces. The other hidden stages (the pause, the join) never reach
// Go at all. None of them is a user-visible command.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/supervisor"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
)

func main() {
	if nsenter.InInit() {
		stage.InitMain(nsenter.SyncFD()) // never returns
	}
	if nsenter.InNetconf() {
		netsetup.NetconfMain() // never returns
	}
	if nsenter.InPorts() {
		if os.Getenv(netsetup.EnvProbe) != "" {
			netsetup.ProbeMain() // never returns
		}
		netsetup.ForwardMain() // never returns
	}
	if fd, ok := supervisor.InSupervisor(); ok {
		supervisor.SuperviseMain(fd) // never returns
	}
	code, err := newApp().run(os.Args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "podctl: %v\n", err)
		var ee *model.ExecError
		var ue usageError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode
		case errors.As(err, &ue):
			code = 125
		case code == 0:
			// podctl's own failure, as podman and docker report it.
			code = 125
		}
	}
	os.Exit(code)
}
