package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/netsetup"
)

// networkFlags are the flags of a new pod's network (run, pod create).
func networkFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "pasta (default when installed), slirp4netns, none (loopback only) or host"},
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish a port: [HOST-IP:][HOST-PORT:]CONTAINER-PORT[/tcp|/udp] (e.g. 127.0.0.1:8080:80 for loopback only)"},
		&cli.BoolFlag{Name: "allow-host-loopback", Usage: "let the pod reach services on the host's loopback, as host.containers.internal"},
		&cli.BoolFlag{Name: "port-bypass", Usage: "with pasta: a published TCP port is the workload's own socket, bound on the host when it binds (no forwarding: the host's loopback speed; the pod's own localhost no longer reaches that port)"},
		&cli.StringSliceFlag{Name: "dns", Usage: "nameserver for the pod's resolv.conf (instead of the host's)"},
		&cli.StringSliceFlag{Name: "dns-search", Usage: "search domain for the pod's resolv.conf (. for none)"},
		&cli.StringSliceFlag{Name: "dns-option", Usage: "option for the pod's resolv.conf (e.g. ndots:2)"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "add NAME:IP to the pod's /etc/hosts"},
	}
}

// networkFlagNames lists them, for the flags that only a new pod takes.
func networkFlagNames() []string {
	var out []string
	for _, f := range networkFlags() {
		out = append(out, f.Names()[0])
	}
	return out
}

// networkConfig reads them. Without --network the default mode is picked
// (netsetup.Default).
func networkConfig(c *cli.Context) (netsetup.Config, error) {
	var cfg netsetup.Config
	var err error
	if c.IsSet("network") {
		if cfg.Mode, err = netsetup.ParseMode(c.String("network")); err != nil {
			return cfg, usageError{err}
		}
	} else {
		cfg.Mode = netsetup.Default()
	}
	for _, spec := range c.StringSlice("publish") {
		// -p 8080:80,8443:443 is one flag with two ports, as in podman.
		for _, one := range strings.Split(spec, ",") {
			p, err := netsetup.ParsePort(one)
			if err != nil {
				return cfg, usageError{err}
			}
			cfg.Ports = append(cfg.Ports, p)
		}
	}
	for _, h := range c.StringSlice("add-host") {
		e, err := netsetup.ParseAddHost(h)
		if err != nil {
			return cfg, usageError{err}
		}
		cfg.AddHosts = append(cfg.AddHosts, e)
	}
	cfg.AllowHostLoopback = c.Bool("allow-host-loopback")
	cfg.PortBypass = c.Bool("port-bypass")
	cfg.DNS, cfg.DNSSearch, cfg.DNSOptions = c.StringSlice("dns"), c.StringSlice("dns-search"), c.StringSlice("dns-option")
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	for _, n := range cfg.Notices() {
		fmt.Fprintf(os.Stderr, "podctl: notice: %s\n", n)
	}
	return cfg, nil
}
