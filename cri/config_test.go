package cri

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/rootfs"
	"github.com/podctl/podctl/sandbox/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestPodName(t *testing.T) {
	m := &runtimeapi.PodSandboxMetadata{Name: "Web.Server_1", Namespace: "default", Uid: "u", Attempt: 0}
	a := podName(m)
	if err := model.ValidateName("pod", a); err != nil || !strings.HasPrefix(a, "web-server-1-") {
		t.Errorf("podName = %q (%v); want a valid name from web-server-1", a, err)
	}
	if podName(m) != a {
		t.Errorf("podName is not the same for the same metadata")
	}
	next := &runtimeapi.PodSandboxMetadata{Name: m.Name, Namespace: m.Namespace, Uid: m.Uid, Attempt: 1}
	other := &runtimeapi.PodSandboxMetadata{Name: m.Name, Namespace: "prod", Uid: m.Uid}
	if podName(next) == a || podName(other) == a {
		t.Errorf("another attempt or namespace gives the same pod name %q", a)
	}
	long := &runtimeapi.PodSandboxMetadata{Name: strings.Repeat("a.", 100) + "-"}
	if n := podName(long); model.ValidateName("pod", n) != nil {
		t.Errorf("podName of a 201-character name = %q: not a valid pod name", n)
	}
	c := containerName(&runtimeapi.ContainerMetadata{Name: strings.Repeat("X", 80), Attempt: 12})
	if model.ValidateName("container", c) != nil || !strings.HasSuffix(c, "-12") {
		t.Errorf("containerName = %q; want a valid name ending in its attempt", c)
	}
	if n := dnsLabel("...", 10); n != "x" {
		t.Errorf(`dnsLabel("...") = %q, want "x"`, n)
	}
}

func TestPodSpec(t *testing.T) {
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "ns", Uid: "u1", Attempt: 2},
		Hostname:     "web.example",
		LogDirectory: "/var/log/pods/x",
		DnsConfig:    &runtimeapi.DNSConfig{Servers: []string{"10.0.0.10"}, Searches: []string{"ns.svc"}, Options: []string{"ndots:5"}},
		PortMappings: []*runtimeapi.PortMapping{{ContainerPort: 80, HostPort: 8080}, {ContainerPort: 53, HostPort: 5353, Protocol: runtimeapi.Protocol_UDP}, {ContainerPort: 9000}},
		Labels:       map[string]string{"app": "web"},
		Linux:        &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_CONTAINER}}},
	}
	spec, err := podSpec(cfg, netsetup.Pasta)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Hostname != "web" || spec.SharePID || spec.RestartPolicy != model.RestartNever || spec.Network.Mode != netsetup.Pasta {
		t.Errorf("podSpec: hostname %q, sharePID %v, restart %s, network %s", spec.Hostname, spec.SharePID, spec.RestartPolicy, spec.Network.Mode)
	}
	if len(spec.Network.Ports) != 2 || spec.Network.Ports[1].Protocol != "udp" || spec.Network.Ports[0].HostPort != 8080 {
		t.Errorf("ports %+v; want 8080/tcp and 5353/udp, not the unpublished 9000", spec.Network.Ports)
	}
	if strings.Join(spec.Network.DNS, ",") != "10.0.0.10" || spec.Network.DNSOptions[0] != "ndots:5" {
		t.Errorf("dns %+v", spec.Network)
	}
	m := podMeta(spec.Labels)
	if m.Name != "web" || m.Namespace != "ns" || m.Uid != "u1" || m.Attempt != 2 || spec.Labels[model.LabelNamespace] != "ns" {
		t.Errorf("metadata back from labels: %+v (%v)", m, spec.Labels)
	}
	if u := userLabels(spec.Labels); len(u) != 2 || u["app"] != "web" {
		t.Errorf("userLabels = %v; want app and the namespace label only", u)
	}
	cfg.Linux.SecurityContext.NamespaceOptions.Network = runtimeapi.NamespaceMode_NODE
	cfg.PortMappings = nil
	if spec, err := podSpec(cfg, netsetup.Pasta); err != nil || spec.Network.Mode != netsetup.Host {
		t.Errorf("host network: %v, %v", spec.Network.Mode, err)
	}
}

func TestPodSpecRefuses(t *testing.T) {
	base := func() *runtimeapi.PodSandboxConfig {
		return &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "web"},
			Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{}}}}
	}
	for _, tc := range []struct {
		field string
		edit  func(*runtimeapi.PodSandboxConfig)
	}{
		{"metadata.name", func(c *runtimeapi.PodSandboxConfig) { c.Metadata.Name = "" }},
		{"linux.sysctls", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.Sysctls = map[string]string{"kernel.hostname": "x"} // the pod has its hostname field
		}},
		{"linux.sysctls", func(c *runtimeapi.PodSandboxConfig) { c.Linux.Sysctls = map[string]string{"vm.swappiness": "1"} }},
		{"linux.sysctls", func(c *runtimeapi.PodSandboxConfig) { c.Linux.Sysctls = map[string]string{"net/../vm/swappiness": "1"} }},
		{"linux.sysctls", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.Sysctls = map[string]string{"net.core.somaxconn": "1\n2"}
		}},
		{"linux.sysctls", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.Sysctls = map[string]string{"net.core.somaxconn": "1024"}
			c.Linux.SecurityContext.NamespaceOptions.Network = runtimeapi.NamespaceMode_NODE
		}},
		{"userns_options.mode", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_CONTAINER}
		}},
		{"exactly one", func(c *runtimeapi.PodSandboxConfig) {
			m := []*runtimeapi.IDMapping{{HostId: 1000, Length: 10}, {HostId: 2000, Length: 10}}
			c.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Uids: m, Gids: m}
		}},
		{"container id 0", func(c *runtimeapi.PodSandboxConfig) {
			m := []*runtimeapi.IDMapping{{ContainerId: 1, HostId: 1000, Length: 10}}
			c.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Uids: m, Gids: m}
		}},
		{"namespace_options.pid", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_TARGET
		}},
		{"namespace_options.ipc", func(c *runtimeapi.PodSandboxConfig) {
			c.Linux.SecurityContext.NamespaceOptions.Ipc = runtimeapi.NamespaceMode_TARGET
		}},
		{"port_mappings[0]", func(c *runtimeapi.PodSandboxConfig) {
			c.PortMappings = []*runtimeapi.PortMapping{{ContainerPort: 80, HostPort: 80, Protocol: runtimeapi.Protocol_SCTP}}
		}},
		{"port_mappings[0]", func(c *runtimeapi.PodSandboxConfig) {
			c.PortMappings = []*runtimeapi.PortMapping{{ContainerPort: 70000, HostPort: 80}}
		}},
	} {
		c := base()
		if _, err := podSpec(c, netsetup.Pasta); err != nil {
			t.Fatalf("the base config: %v", err)
		}
		// The positive control: namespaced sysctls and the node's user
		// namespace are taken.
		c.Linux.Sysctls = map[string]string{"net.ipv4.ip_unprivileged_port_start": "0", "kernel.shm_rmid_forced": "1", "fs.mqueue.msg_max": "100"}
		c.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}
		if spec, err := podSpec(c, netsetup.Pasta); err != nil || len(spec.Sysctls) != 3 {
			t.Fatalf("namespaced sysctls, userns NODE: %v (%v)", err, spec.Sysctls)
		}
		c = base()
		tc.edit(c)
		_, err := podSpec(c, netsetup.Pasta)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v; want InvalidArgument naming the field", tc.field, err)
		}
	}
}

func TestCtrSpec(t *testing.T) {
	pod := &model.PodState{Spec: model.PodSpec{Name: "p", Labels: map[string]string{labelLogDir: "/logs/p"}}}
	cfg := func() *runtimeapi.ContainerConfig {
		return &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "c", Attempt: 1},
			Image: &runtimeapi.ImageSpec{Image: "busybox"}, LogPath: "c/1.log",
			Envs: []*runtimeapi.KeyValue{{Key: "A", Value: []byte("b=c")}},
			Linux: &runtimeapi.LinuxContainerConfig{
				SecurityContext: &runtimeapi.LinuxContainerSecurityContext{RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 100},
					Seccomp: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, ReadonlyRootfs: true,
					Capabilities: &runtimeapi.Capability{DropCapabilities: []string{"ALL"}, AddCapabilities: []string{"NET_BIND_SERVICE"}}},
				Resources: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 64 << 20, CpuQuota: 50000, CpuShares: 1024}}}
	}
	spec, limits, err := ctrSpec(cfg(), pod)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "c-1" || spec.User != "1000:100" || spec.Seccomp != "unconfined" || !spec.ReadOnly || !spec.ReadOnlyBare ||
		spec.LogPath != "/logs/p/c/1.log" || strings.Join(spec.Env, " ") != "A=b=c" || spec.CapDrop[0] != "ALL" || spec.CapAdd[0] != "NET_BIND_SERVICE" {
		t.Errorf("ctrSpec = %+v", spec)
	}
	if !spec.Resources.IsZero() || !strings.Contains(limits, "not enforced") {
		t.Errorf("a pod without a cgroup: resources %+v, notice %q; want none, and a notice", spec.Resources, limits)
	}
	pod.Cgroup = "/sys/fs/cgroup/x"
	spec, limits, _ = ctrSpec(cfg(), pod)
	if r := spec.Resources; r.MemoryMax != 64<<20 || r.CPUQuota != 50000 || r.CPUPeriod != 100000 || r.CPUWeight != 39 || limits != "" {
		t.Errorf("resources in a pod with a cgroup: %+v (%q); want memory, cpu.max and weight 39", r, limits)
	}
	c := cfg()
	sc := c.Linux.SecurityContext
	sc.SupplementalGroups, sc.SupplementalGroupsPolicy = []int64{1234, 5678}, runtimeapi.SupplementalGroupsPolicy_Strict
	sc.NoNewPrivs, sc.MaskedPaths, sc.ReadonlyPaths = true, []string{"/bin/ls"}, []string{"/tmp"}
	c.Mounts = []*runtimeapi.Mount{{HostPath: "/tmp", ContainerPath: "/a", Readonly: true}, {HostPath: "/tmp", ContainerPath: "/b", Readonly: true, RecursiveReadOnly: true}}
	if spec, _, err := ctrSpec(c, pod); err != nil || fmt.Sprint(spec.Groups) != "[1234 5678]" || !spec.GroupsStrict || spec.AllowPrivilegeEscalation ||
		fmt.Sprint(spec.MaskedPaths, spec.ReadonlyPaths) != "[/bin/ls] [/tmp]" || !spec.Mounts[0].ReadOnlyTop || spec.Mounts[1].ReadOnlyTop {
		t.Errorf("groups, no_new_privs, paths, read-only mounts: %+v, %v", spec, err)
	}
	c = cfg()
	c.Devices = []*runtimeapi.Device{{HostPath: "/dev/zero", ContainerPath: "/dev/xzero", Permissions: "rwm"}}
	if spec, _, err := ctrSpec(c, pod); err != nil || len(spec.Mounts) != 1 || spec.Mounts[0].Source != "/dev/zero" || spec.Mounts[0].Target != "/dev/xzero" {
		t.Errorf("a device: %+v, %v; want a bind mount of the host's node", spec.Mounts, err)
	}
	c = cfg()
	c.Mounts = []*runtimeapi.Mount{{HostPath: "/tmp", ContainerPath: "/a", Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}}
	if spec, _, err := ctrSpec(c, pod); err != nil || spec.Mounts[0].Propagation != rootfs.PropagationSlave {
		t.Errorf("HostToContainer: %+v, %v; want an rslave mount", spec.Mounts, err)
	}
	if os.Getuid() != 0 {
		c.Mounts[0].Propagation = runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
		bridge := &model.PodState{Spec: pod.Spec}
		bridge.Spec.Network.Mode, bridge.Spec.NodeMounts = netsetup.Bridge, true
		if spec, _, err := ctrSpec(c, bridge); err != nil || spec.Mounts[0].Propagation != rootfs.PropagationShared {
			t.Errorf("Bidirectional in a rootless pod on the shared network: %+v, %v; want an rshared mount", spec.Mounts, err)
		}
	}
	if spec, _, _ := ctrSpec(cfg(), pod); !spec.AllowPrivilegeEscalation || spec.GroupsStrict {
		t.Errorf("no_new_privs unset: privilege escalation must be allowed, as the kubelet means it: %+v", spec)
	}
	for want, p := range map[string]*runtimeapi.SecurityProfile{"unconfined": nil,
		"": {ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}, "/p.json": {ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "/p.json"}} {
		c := cfg()
		c.Linux.SecurityContext.Seccomp = p
		if spec, _, err := ctrSpec(c, pod); err != nil || spec.Seccomp != want {
			t.Errorf("seccomp %v: %q, %v; want %q", p, spec.Seccomp, err, want)
		}
	}
	for _, tc := range []struct {
		field string
		edit  func(*runtimeapi.ContainerConfig)
	}{
		{"image", func(c *runtimeapi.ContainerConfig) { c.Image.Image = "" }},
		{"envs[0]", func(c *runtimeapi.ContainerConfig) { c.Envs[0].Value = []byte("a\x00b") }},
		{"devices[0]", func(c *runtimeapi.ContainerConfig) {
			c.Devices = []*runtimeapi.Device{{HostPath: "/etc/hostname", ContainerPath: "/dev/x", Permissions: "rw"}}
		}},
		{"devices[0]", func(c *runtimeapi.ContainerConfig) {
			c.Devices = []*runtimeapi.Device{{HostPath: "/dev/null", ContainerPath: "/dev/x", Permissions: "rwx"}}
		}},
		{"mounts[0]", func(c *runtimeapi.ContainerConfig) {
			c.Mounts = []*runtimeapi.Mount{{HostPath: "/tmp", ContainerPath: "/x", Propagation: runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL}}
		}},
		{"localhost_ref", func(c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "profile.json"}
		}},
		{"run_as_group", func(c *runtimeapi.ContainerConfig) { c.Linux.SecurityContext.RunAsUser = nil }},
		{"recursive_read_only", func(c *runtimeapi.ContainerConfig) {
			c.Mounts = []*runtimeapi.Mount{{HostPath: "/tmp", ContainerPath: "/x", RecursiveReadOnly: true}}
		}},
		{"recursive_read_only", func(c *runtimeapi.ContainerConfig) {
			c.Mounts = []*runtimeapi.Mount{{HostPath: "/tmp", ContainerPath: "/x", Readonly: true, RecursiveReadOnly: true,
				Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}}
		}},
		{"supplemental_groups[0]", func(c *runtimeapi.ContainerConfig) { c.Linux.SecurityContext.SupplementalGroups = []int64{-1} }},
		{"masked_paths[0]", func(c *runtimeapi.ContainerConfig) { c.Linux.SecurityContext.MaskedPaths = []string{"proc/kcore"} }},
	} {
		c := cfg()
		tc.edit(c)
		_, _, err := ctrSpec(c, pod)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v; want InvalidArgument naming the field", tc.field, err)
		}
	}
}
