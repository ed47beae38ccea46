package cri

import (
	"fmt"
	"strings"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// labelLogDir keeps a sandbox's log directory, under which the kubelet
// names each container's log path (relative).
const labelLogDir = labelPrefix + "log-directory"

// podSpec turns a sandbox's configuration into a podctl pod, or says which
// field podctl cannot honour. net is the mode of a pod network (the
// server's --network).
func podSpec(c *runtimeapi.PodSandboxConfig, net netsetup.Mode) (model.PodSpec, error) {
	m := c.GetMetadata()
	if m == nil || m.Name == "" {
		return model.PodSpec{}, invalid("PodSandboxConfig.metadata.name is empty: a sandbox needs a name")
	}
	spec := model.PodSpec{
		Name:          podName(m),
		Labels:        podLabels(m, c.Labels),
		Annotations:   c.Annotations,
		Hostname:      c.Hostname,
		SharePID:      true,
		RestartPolicy: model.RestartNever, // the kubelet restarts
		// The node's mount namespace is the shared network's for a
		// rootless server on it: hostPath volumes and their
		// propagation are as a node's (docs/cri.md, "Mounts").
		NodeMounts: true,
	}
	if spec.Hostname == "" {
		spec.Hostname = dnsLabel(m.Name, 63)
	}
	if strings.Contains(spec.Hostname, ".") {
		// A Kubernetes hostname is a label; setdomainname keeps the rest.
		spec.Hostname, _, _ = strings.Cut(spec.Hostname, ".")
	}
	if m.Namespace != "" {
		spec.Labels[model.LabelNamespace] = m.Namespace
	}
	if c.LogDirectory != "" {
		spec.Labels[labelLogDir] = c.LogDirectory
	}
	spec.Network.Mode = net
	ns := c.GetLinux().GetSecurityContext().GetNamespaceOptions()
	switch ns.GetNetwork() {
	case runtimeapi.NamespaceMode_NODE:
		spec.Network.Mode = netsetup.Host
	case runtimeapi.NamespaceMode_POD:
	default:
		return spec, invalid("namespace_options.network %s: a sandbox's network namespace is the pod's or the node's", ns.GetNetwork())
	}
	switch ns.GetPid() {
	case runtimeapi.NamespaceMode_POD:
	case runtimeapi.NamespaceMode_CONTAINER:
		spec.SharePID = false
	case runtimeapi.NamespaceMode_NODE:
		// Needs the pod's own cgroup: refused at creation without one.
		spec.HostPID = true
	default:
		return spec, invalid("namespace_options.pid %s: a sandbox's PID namespace is the pod's, each container's or the node's", ns.GetPid())
	}
	switch ns.GetIpc() {
	case runtimeapi.NamespaceMode_POD:
	case runtimeapi.NamespaceMode_NODE:
		spec.HostIPC = true
	default:
		return spec, invalid("namespace_options.ipc %s: a sandbox's IPC namespace is the pod's or the node's", ns.GetIpc())
	}
	if err := usernsOf(ns.GetUsernsOptions()); err != nil {
		return spec, err
	}
	// The kubelet's pod cgroup (cgroupsPerQOS), a cgroupfs path, since
	// RuntimeConfig reports the cgroupfs driver; a systemd slice is not
	// one.
	if p := c.GetLinux().GetCgroupParent(); p != "" {
		if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, ".slice") || strings.Contains(p, "..") {
			return spec, invalid("linux.cgroup_parent %q: a cgroupfs path of the hierarchy (/kubepods/...), as the cgroupfs driver RuntimeConfig reports names it", p)
		}
		spec.CgroupParent = p
	}
	spec.Sysctls = c.GetLinux().GetSysctls()
	if err := spec.ValidateSysctls(); err != nil {
		return spec, invalid("linux.sysctls: %v", err)
	}
	if d := c.DnsConfig; d != nil && spec.Network.Mode != netsetup.Host {
		spec.Network.DNS, spec.Network.DNSSearch, spec.Network.DNSOptions = d.Servers, d.Searches, d.Options
	}
	for i, p := range c.PortMappings {
		if p.HostPort == 0 {
			continue // declared, not published (the kubelet sends every containerPort)
		}
		if spec.Network.Mode == netsetup.Host || spec.Network.Mode == netsetup.None {
			return spec, invalid("port_mappings[%d]: a sandbox with network %s publishes no ports", i, spec.Network.Mode)
		}
		port, err := portOf(p)
		if err != nil {
			return spec, invalid("port_mappings[%d]: %v", i, err)
		}
		if spec.Network.Mode == netsetup.CNI {
			continue // the portmap plugin's (cri/cninet)
		}
		spec.Network.Ports = append(spec.Network.Ports, port)
	}
	return spec, nil
}

// portOf is a CRI port mapping as a published port.
func portOf(p *runtimeapi.PortMapping) (netsetup.Port, error) {
	if p.ContainerPort <= 0 || p.ContainerPort > 65535 || p.HostPort < 0 || p.HostPort > 65535 {
		return netsetup.Port{}, fmt.Errorf("ports %d:%d: each must be 1 to 65535", p.HostPort, p.ContainerPort)
	}
	proto := "tcp"
	switch p.Protocol {
	case runtimeapi.Protocol_TCP:
	case runtimeapi.Protocol_UDP:
		proto = "udp"
	default:
		return netsetup.Port{}, fmt.Errorf("protocol %s: podctl publishes TCP and UDP", p.Protocol)
	}
	return netsetup.Port{HostIP: p.HostIp, HostPort: uint16(p.HostPort), ContainerPort: uint16(p.ContainerPort), Protocol: proto}, nil
}

// usernsOf checks a sandbox's user namespace option. A rootless podctl
// pod always has a user namespace of its own, mapped as the user's
// shared namespace is (pod root is the user, 1.. the user's subordinate
// ids): NODE, the kubelet's hostUsers: true, gets that, as rootless
// containerd's pods get rootlesskit's namespace; a POD mapping of the
// kubelet's own choosing cannot be honoured, since newuidmap(1) maps only
// the ranges /etc/subuid gives the user. containerd's refusals of
// malformed options come first.
func usernsOf(u *runtimeapi.UserNamespace) error {
	if u == nil || u.Mode == runtimeapi.NamespaceMode_POD && len(u.Uids) == 0 && len(u.Gids) == 0 {
		return nil // the pod's own, mapped by podctl
	}
	switch u.GetMode() {
	case runtimeapi.NamespaceMode_NODE:
		return nil
	case runtimeapi.NamespaceMode_POD:
	default:
		return invalid("namespace_options.userns_options.mode %s: a pod's user namespace is the node's or the pod's own", u.GetMode())
	}
	for _, m := range [][]*runtimeapi.IDMapping{u.Uids, u.Gids} {
		if len(m) != 1 {
			return invalid("namespace_options.userns_options: exactly one uid and one gid mapping, got %d and %d", len(u.Uids), len(u.Gids))
		}
		if m[0].ContainerId != 0 {
			return invalid("namespace_options.userns_options: the mapping must start at container id 0 (root), not %d", m[0].ContainerId)
		}
	}
	return invalid("namespace_options.userns_options: mode POD with host ids %d+%d: podctl maps a pod's ids itself, from the ids /etc/subuid and /etc/subgid give its user; use hostUsers: true (mode NODE), which in a rootless podctl is a user namespace of the pod's own already", u.Uids[0].HostId, u.Uids[0].Length)
}
