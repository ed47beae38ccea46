// Command podctl-net runs the network processes of podctl's pods that need
// libraries podctl itself must not link, since every podctl start would pay
// for their initialisation and pages (netsetup/netproc): the netconf stage
// of the shared bridge network (netlink, nftables), network probes and
// hooks (net/http, crypto/tls), and the ports forwarder of bridge pods,
// which shares the probes' stage. podctl execs it; it is not a command.
package main

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/netsetup/netproc"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/version"
)

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "--version":
		fmt.Println("podctl-net version " + version.Version)
		os.Exit(0)
	case nsenter.InNetconf():
		// The constructor entered the shared network's namespaces (fds 3
		// and 4, closed): the request's own namespace is fd 5.
		netproc.NetconfMain(5)
	case os.Getenv(netsetup.EnvNetconfHost) != "":
		netproc.NetconfMain(3) // root's bridge, in the host's namespaces
	case nsenter.InPorts() && os.Getenv(netsetup.EnvProbe) != "":
		netproc.ProbeMain()
	case nsenter.InPorts():
		netsetup.ForwardMain()
	}
	fmt.Fprintln(os.Stderr, "podctl-net runs the network processes of podctl's pods; podctl starts it, it is not a command")
	os.Exit(2)
}
