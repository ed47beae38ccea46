package cri

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/rootfs"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ctrSpec turns a container's configuration into a podctl container of
// pod st, or says which field podctl cannot honour. Resource limits are
// dropped when the pod has no cgroup (cgroup v2 not delegated to the
// user, as rootless containerd drops them); limits reports that.
func ctrSpec(c *runtimeapi.ContainerConfig, st *model.PodState) (spec model.ContainerSpec, limits string, err error) {
	m := c.GetMetadata()
	if m == nil || m.Name == "" {
		return spec, "", invalid("ContainerConfig.metadata.name is empty: a container needs a name")
	}
	if c.GetImage().GetImage() == "" {
		return spec, "", invalid("ContainerConfig.image.image is empty: a container needs an image")
	}
	spec = model.ContainerSpec{
		Name:        containerName(m),
		Labels:      ctrLabels(m, c.Labels),
		Annotations: c.Annotations,
		Image:       c.Image.Image,
		Command:     c.Command,
		Args:        c.Args,
		Cwd:         c.WorkingDir,
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		TTY:         c.Tty,
	}
	if spec.Args == nil {
		spec.Args = []string{} // the image's Cmd, unless Command replaces the entrypoint
	}
	for i, kv := range c.Envs {
		if kv.Key == "" || strings.ContainsAny(kv.Key, "=\x00") || bytes.IndexByte(kv.Value, 0) >= 0 {
			return spec, "", invalid("envs[%d] (%q): a name without '=' or NUL, a value without NUL", i, kv.Key)
		}
		spec.Env = append(spec.Env, kv.Key+"="+string(kv.Value))
	}
	if c.LogPath != "" {
		dir := st.Spec.Labels[labelLogDir]
		if dir == "" && !filepath.IsAbs(c.LogPath) {
			return spec, "", invalid("log_path %q is relative and the sandbox has no log_directory", c.LogPath)
		}
		spec.LogPath = filepath.Join(dir, c.LogPath)
	}
	for i, d := range c.Devices {
		m, err := deviceOf(d)
		if err != nil {
			return spec, "", invalid("devices[%d] (%s): %v", i, d.ContainerPath, err)
		}
		spec.Mounts = append(spec.Mounts, m)
	}
	for i, mnt := range c.Mounts {
		if mnt.Image != nil {
			v, err := imageVolumeOf(mnt)
			if err != nil {
				return spec, "", invalid("mounts[%d] (%s): %v", i, mnt.ContainerPath, err)
			}
			spec.ImageVolumes = append(spec.ImageVolumes, v)
			continue
		}
		bm, err := mountOf(mnt)
		if err == nil && bm.Propagation == rootfs.PropagationShared && !st.Spec.NodeMountNamespace() {
			err = errors.New("propagation Bidirectional: a mount can go back only to a mount namespace of the pod's user namespace, and this pod has one of its own (only a rootless server on the shared network, --network bridge, runs pods in the node's: docs/cri.md)")
		}
		if err != nil {
			return spec, "", invalid("mounts[%d] (%s): %v", i, mnt.ContainerPath, err)
		}
		spec.Mounts = append(spec.Mounts, bm)
	}
	if err := securityOf(c.GetLinux().GetSecurityContext(), st.Spec, &spec); err != nil {
		return spec, "", err
	}
	if r := resourcesOf(c.GetLinux().GetResources()); !r.IsZero() {
		if st.Cgroup == "" {
			limits = fmt.Sprintf("container %s: its resource limits are not enforced: pod %s has no cgroup (cgroup v2 is not delegated to this user; podctl doctor says how)", m.Name, st.Spec.Name)
		} else {
			spec.Resources = r
		}
	}
	return spec, limits, nil
}

// mountOf is a CRI mount as a bind mount. The host path is resolved now
// (the container's init then opens it without following symlinks) and
// made if missing, as containerd does for a kubelet that names a
// directory it has not made.
func mountOf(m *runtimeapi.Mount) (rootfs.Mount, error) {
	if !filepath.IsAbs(m.HostPath) || !filepath.IsAbs(m.ContainerPath) {
		return rootfs.Mount{}, errors.New("host_path and container_path must be absolute")
	}
	if m.RecursiveReadOnly && !m.Readonly {
		return rootfs.Mount{}, errors.New("recursive_read_only needs readonly too")
	}
	if m.RecursiveReadOnly && m.Propagation != runtimeapi.MountPropagation_PROPAGATION_PRIVATE {
		return rootfs.Mount{}, fmt.Errorf("recursive_read_only with propagation %s: a recursively read-only mount must be private (a mount propagated into it later would be writable)", m.Propagation)
	}
	// HostToContainer and Bidirectional are rslave and rshared, as
	// containerd and CRI-O make them; model.ContainerSpec.ForPod refuses
	// Bidirectional where no mount can go back.
	propagation := ""
	switch m.Propagation {
	case runtimeapi.MountPropagation_PROPAGATION_PRIVATE:
	case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		propagation = rootfs.PropagationSlave
	case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		propagation = rootfs.PropagationShared
	default:
		return rootfs.Mount{}, fmt.Errorf("propagation %d: unknown", m.Propagation)
	}
	if len(m.UidMappings) > 0 || len(m.GidMappings) > 0 {
		return rootfs.Mount{}, errors.New("id-mapped mounts are not supported")
	}
	if _, err := os.Lstat(m.HostPath); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(m.HostPath, 0o755); err != nil {
			return rootfs.Mount{}, err
		}
	}
	src, err := filepath.EvalSymlinks(m.HostPath)
	if err != nil {
		return rootfs.Mount{}, err
	}
	// readonly alone is the top mount's, as runc's "ro" bind is; with
	// recursive_read_only, every mount under it too (KEP-3857).
	return rootfs.Mount{Type: "bind", Source: src, Target: m.ContainerPath, ReadOnly: m.Readonly, ReadOnlyTop: !m.RecursiveReadOnly, Propagation: propagation}, nil
}

// deviceOf is a CRI device as a bind mount of the host's node (a device
// plugin's /dev/fuse, a GPU's nodes): inside a user namespace mknod(2) of
// a device is refused, so binding the host's node is the only way, as
// rootless podman's --device does. The node's own permissions on the host
// decide who may open it; permissions "r", "w" and "m" are accepted but
// not enforced further: that takes the device controller of a cgroup the
// runtime owns (a BPF program), which podctl does not load, and a
// read-only bind mount does not stop writes to a device.
func deviceOf(d *runtimeapi.Device) (rootfs.Mount, error) {
	if !filepath.IsAbs(d.HostPath) || !filepath.IsAbs(d.ContainerPath) {
		return rootfs.Mount{}, errors.New("host_path and container_path must be absolute")
	}
	if strings.Trim(d.Permissions, "rwm") != "" {
		return rootfs.Mount{}, fmt.Errorf("permissions %q: a combination of r, w and m", d.Permissions)
	}
	src, err := filepath.EvalSymlinks(d.HostPath)
	if err != nil {
		return rootfs.Mount{}, err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return rootfs.Mount{}, err
	}
	if fi.Mode()&os.ModeDevice == 0 {
		return rootfs.Mount{}, fmt.Errorf("host_path %s is not a device node (%s)", d.HostPath, fi.Mode().Type())
	}
	return rootfs.Mount{Type: "bind", Source: src, Target: d.ContainerPath}, nil
}

// propagationOf is the CRI's name of a mount's propagation.
func propagationOf(p string) runtimeapi.MountPropagation {
	switch p {
	case rootfs.PropagationSlave:
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	case rootfs.PropagationShared:
		return runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
	}
	return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
}

// imageVolumeOf is a CRI mount of an image (Kubernetes' image volumes):
// its layer is made with the container's and mounted read-only.
func imageVolumeOf(m *runtimeapi.Mount) (model.ImageVolume, error) {
	if m.Image.GetImage() == "" {
		return model.ImageVolume{}, errors.New("image.image is empty: name the image to mount")
	}
	if !m.Readonly {
		return model.ImageVolume{}, errors.New("an image volume is read-only: set readonly")
	}
	if !filepath.IsAbs(m.ContainerPath) {
		return model.ImageVolume{}, errors.New("container_path must be absolute")
	}
	return model.ImageVolume{Image: m.Image.Image, Target: m.ContainerPath, SubPath: m.ImageSubPath}, nil
}

// securityOf applies a container's security context.
func securityOf(sc *runtimeapi.LinuxContainerSecurityContext, pod model.PodSpec, spec *model.ContainerSpec) error {
	if sc == nil {
		// None at all reads as an empty one (containerd's reading):
		// no no_new_privs, no seccomp filter.
		sc = &runtimeapi.LinuxContainerSecurityContext{}
	}
	switch {
	case sc.RunAsUser != nil && sc.RunAsGroup != nil:
		spec.User = fmt.Sprintf("%d:%d", sc.RunAsUser.Value, sc.RunAsGroup.Value)
	case sc.RunAsUser != nil:
		spec.User = strconv.FormatInt(sc.RunAsUser.Value, 10)
	case sc.RunAsUsername != "" && sc.RunAsGroup != nil:
		spec.User = fmt.Sprintf("%s:%d", sc.RunAsUsername, sc.RunAsGroup.Value)
	case sc.RunAsUsername != "":
		spec.User = sc.RunAsUsername
	case sc.RunAsGroup != nil:
		return invalid("security_context.run_as_group without run_as_user: podctl needs the user with the group")
	}
	mode := map[bool]string{true: "NODE", false: "not NODE"}
	if ns := sc.NamespaceOptions; ns != nil && (ns.Pid == runtimeapi.NamespaceMode_NODE) != pod.HostPID {
		return invalid("security_context.namespace_options.pid %s: a container has its pod's PID namespace (the sandbox's is %s)", ns.Pid, mode[pod.HostPID])
	}
	if ns := sc.NamespaceOptions; ns != nil && (ns.Ipc == runtimeapi.NamespaceMode_NODE) != pod.HostIPC {
		return invalid("security_context.namespace_options.ipc %s: a container shares its pod's IPC namespace (the sandbox's is %s)", ns.Ipc, mode[pod.HostIPC])
	}
	for i, g := range sc.SupplementalGroups {
		if g < 0 || g > math.MaxUint32-1 {
			return invalid("security_context.supplemental_groups[%d]: %d is not a gid", i, g)
		}
		spec.Groups = append(spec.Groups, uint32(g))
	}
	spec.GroupsStrict = sc.SupplementalGroupsPolicy == runtimeapi.SupplementalGroupsPolicy_Strict
	// The CRI's no_new_privs is the kubelet's !allowPrivilegeEscalation,
	// which defaults to true: as containerd and CRI-O, podctl sets it only
	// when asked here.
	spec.AllowPrivilegeEscalation = !sc.NoNewPrivs
	for _, l := range []struct {
		name  string
		paths []string
		to    *[]string
	}{{"masked_paths", sc.MaskedPaths, &spec.MaskedPaths}, {"readonly_paths", sc.ReadonlyPaths, &spec.ReadonlyPaths}} {
		for i, p := range l.paths {
			if !filepath.IsAbs(p) || strings.IndexByte(p, 0) >= 0 {
				return invalid("security_context.%s[%d] %q: must be an absolute path", l.name, i, p)
			}
		}
		*l.to = l.paths
	}
	spec.Privileged = sc.Privileged
	spec.ReadOnly, spec.ReadOnlyBare = sc.ReadonlyRootfs, sc.ReadonlyRootfs
	if caps := sc.Capabilities; caps != nil {
		spec.CapAdd, spec.CapDrop = caps.AddCapabilities, caps.DropCapabilities
		if len(caps.AddAmbientCapabilities) > 0 {
			return invalid("capabilities.add_ambient_capabilities: podctl does not raise ambient capabilities")
		}
	}
	switch p := sc.Seccomp; {
	case p == nil:
		// None given: unconfined, as containerd and CRI-O read the CRI
		// (the kubelet sends RuntimeDefault explicitly with
		// --seccomp-default, and Unconfined otherwise).
		spec.Seccomp = "unconfined"
	case p.ProfileType == runtimeapi.SecurityProfile_RuntimeDefault:
		// podctl's default filter (moby's).
	case p.ProfileType == runtimeapi.SecurityProfile_Unconfined:
		spec.Seccomp = "unconfined"
	case p.ProfileType == runtimeapi.SecurityProfile_Localhost:
		if !filepath.IsAbs(p.LocalhostRef) {
			return invalid("seccomp.localhost_ref %q: must be an absolute path to a profile", p.LocalhostRef)
		}
		spec.Seccomp = p.LocalhostRef
	}
	return nil
}

// resourcesOf is the cgroup v2 part of a container's resources that
// podctl sets: memory.max, cpu.max, cpu.weight.
func resourcesOf(r *runtimeapi.LinuxContainerResources) cgroups.Resources {
	var out cgroups.Resources
	if r == nil {
		return out
	}
	out.MemoryMax = r.MemoryLimitInBytes
	if r.CpuQuota > 0 {
		out.CPUQuota, out.CPUPeriod = r.CpuQuota, r.CpuPeriod
		if out.CPUPeriod == 0 {
			out.CPUPeriod = cgroups.DefaultCPUPeriod
		}
	}
	if r.CpuShares > 2 {
		// cgroup v1 shares (2..262144) to v2 weight (1..10000), the
		// conversion of runc and crun (kubernetes/kubernetes#131216).
		out.CPUWeight = 1 + ((r.CpuShares-2)*9999)/262142
	}
	return out
}
