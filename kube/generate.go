package kube

import (
	"slices"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cgroups"

	"github.com/podctl/podctl/netsetup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Generate writes pod st as a Pod manifest that kubectl accepts and
// podctl apply turns back into the same pod: its containers (image or, for
// a --rootfs container, a placeholder image to fill in), commands, env,
// working directories, users, ports, limits, capabilities and the pod's
// restart policy, hostname, network and deadline. What a Pod cannot say
// (a --rootfs directory, a host-path volume's read-write sharing rules
// aside) is noted in an annotation rather than dropped silently.
func Generate(st *model.PodState) ([]byte, error) {
	s := st.Spec
	pod := corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Labels[model.LabelNamespace], Labels: map[string]string{"app": s.Name}},
	}
	ps := &pod.Spec
	switch s.RestartPolicy {
	case model.RestartAlways:
		ps.RestartPolicy = corev1.RestartPolicyAlways
	case model.RestartOnFailure:
		ps.RestartPolicy = corev1.RestartPolicyOnFailure
	default:
		ps.RestartPolicy = corev1.RestartPolicyNever
	}
	if s.Hostname != "" && s.Hostname != s.Name {
		ps.Hostname = s.Hostname
	}
	if s.SharePID {
		t := true
		ps.ShareProcessNamespace = &t
	}
	if s.ActiveDeadline > 0 {
		d := int64(s.ActiveDeadline.Seconds())
		ps.ActiveDeadlineSeconds = &d
	}
	if s.TerminationGrace != nil {
		g := int64(s.TerminationGrace.Seconds())
		ps.TerminationGracePeriodSeconds = &g
	}
	net := s.Network
	ps.HostNetwork = net.Mode == netsetup.Host
	ps.HostIPC, ps.HostPID = s.HostIPC, s.HostPID
	for _, k := range s.SysctlKeys() {
		if ps.SecurityContext == nil {
			ps.SecurityContext = &corev1.PodSecurityContext{}
		}
		ps.SecurityContext.Sysctls = append(ps.SecurityContext.Sysctls, corev1.Sysctl{Name: k, Value: s.Sysctls[k]})
	}
	// Supplementary groups are the pod's in a manifest: said when every
	// container has the same.
	if len(st.Containers) > 0 && len(st.Containers[0].Spec.Groups) > 0 {
		first, same := st.Containers[0].Spec, true
		for _, cs := range st.Containers[1:] {
			same = same && slices.Equal(cs.Spec.Groups, first.Groups) && cs.Spec.GroupsStrict == first.GroupsStrict
		}
		if same {
			if ps.SecurityContext == nil {
				ps.SecurityContext = &corev1.PodSecurityContext{}
			}
			for _, g := range first.Groups {
				ps.SecurityContext.SupplementalGroups = append(ps.SecurityContext.SupplementalGroups, int64(g))
			}
			if first.GroupsStrict {
				p := corev1.SupplementalGroupsPolicyStrict
				ps.SecurityContext.SupplementalGroupsPolicy = &p
			}
		}
	}
	if len(net.DNS) > 0 || len(net.DNSSearch) > 0 || len(net.DNSOptions) > 0 {
		ps.DNSConfig = &corev1.PodDNSConfig{Nameservers: net.DNS, Searches: net.DNSSearch}
		for _, o := range net.DNSOptions {
			name, value, ok := strings.Cut(o, ":")
			opt := corev1.PodDNSConfigOption{Name: name}
			if ok {
				opt.Value = &value
			}
			ps.DNSConfig.Options = append(ps.DNSConfig.Options, opt)
		}
	}
	byIP := map[string]int{}
	for _, h := range net.AddHosts {
		i, ok := byIP[h.IP]
		if !ok {
			i = len(ps.HostAliases)
			byIP[h.IP] = i
			ps.HostAliases = append(ps.HostAliases, corev1.HostAlias{IP: h.IP})
		}
		ps.HostAliases[i].Hostnames = append(ps.HostAliases[i].Hostnames, h.Name)
	}
	var rootfsDirs []string
	vols := map[string]bool{}
	for i, cs := range st.Containers {
		spec := cs.Spec
		// Args is the whole command line as podctl resolved it (with the
		// image's Entrypoint and Cmd): the manifest says it in full.
		c := corev1.Container{Name: spec.Name, Image: spec.Image, Command: spec.Args, WorkingDir: spec.Cwd}
		if spec.Image == "" {
			// A --rootfs directory is no image: a cluster needs one.
			c.Image = "REPLACE-WITH-AN-IMAGE-OF-" + spec.Rootfs
			rootfsDirs = append(rootfsDirs, spec.Name+"="+spec.Rootfs)
		}
		for _, e := range spec.Env {
			k, v, _ := strings.Cut(e, "=")
			c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: v})
		}
		if i == 0 { // the pod's ports, on its first container
			for _, p := range net.Ports {
				cp := corev1.ContainerPort{ContainerPort: int32(p.ContainerPort), HostPort: int32(p.HostPort), HostIP: p.HostIP}
				if p.Protocol == "udp" {
					cp.Protocol = corev1.ProtocolUDP
				}
				c.Ports = append(c.Ports, cp)
			}
		}
		if uid, gid, err := model.ParseUserSpec(spec.User); err == nil && uid != "" {
			if n, err := strconv.ParseInt(uid, 10, 64); err == nil {
				c.SecurityContext = &corev1.SecurityContext{RunAsUser: &n}
				if g, err := strconv.ParseInt(gid, 10, 64); err == nil {
					c.SecurityContext.RunAsGroup = &g
				}
			}
		}
		c.Stdin, c.StdinOnce, c.TTY = spec.Stdin, spec.StdinOnce, spec.TTY
		sc := func() *corev1.SecurityContext {
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			return c.SecurityContext
		}
		if spec.ReadOnly {
			t := true
			sc().ReadOnlyRootFilesystem = &t
		}
		if spec.Privileged {
			t := true
			sc().Privileged = &t
		}
		if spec.AllowPrivilegeEscalation && !spec.Privileged {
			t := true
			sc().AllowPrivilegeEscalation = &t
		}
		if len(spec.CapAdd) > 0 || len(spec.CapDrop) > 0 {
			caps := &corev1.Capabilities{}
			for _, a := range spec.CapAdd {
				caps.Add = append(caps.Add, corev1.Capability(a))
			}
			for _, d := range spec.CapDrop {
				caps.Drop = append(caps.Drop, corev1.Capability(d))
			}
			sc().Capabilities = caps
		}
		r := spec.Resources
		if r.MemoryMax > 0 || r.CPUQuota > 0 {
			c.Resources.Limits = corev1.ResourceList{}
			if r.MemoryMax > 0 {
				c.Resources.Limits[corev1.ResourceMemory] = *resource.NewQuantity(r.MemoryMax, resource.BinarySI)
			}
			if r.CPUQuota > 0 {
				c.Resources.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(r.CPUQuota*1000/cgroupsPeriod(r.CPUPeriod), resource.DecimalSI)
			}
		}
		for j, m := range spec.Mounts {
			name := m.PodVolume
			if name == "" {
				name = spec.Name + "-vol" + strconv.Itoa(j)
			}
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: m.Target, ReadOnly: m.ReadOnly, SubPath: m.SubPath})
			if vols[name] {
				continue
			}
			vols[name] = true
			v := corev1.Volume{Name: name}
			switch {
			case m.Type == "tmpfs":
				v.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}
			case m.PodVolume != "":
				v.EmptyDir = &corev1.EmptyDirVolumeSource{}
				for _, l := range s.VolumeLimits {
					if q, err := resource.ParseQuantity(l.Quantity); l.Volume == name && err == nil {
						v.EmptyDir.SizeLimit = &q
					}
				}
			default:
				t := corev1.HostPathDirectoryOrCreate
				v.HostPath = &corev1.HostPathVolumeSource{Path: m.Source, Type: &t}
			}
			ps.Volumes = append(ps.Volumes, v)
		}
		if spec.Init {
			ps.InitContainers = append(ps.InitContainers, c)
		} else {
			ps.Containers = append(ps.Containers, c)
		}
	}
	pod.Annotations = logAnnotationsOf(&s)
	if len(rootfsDirs) > 0 {
		pod.Annotations[annotationRootfs] = strings.Join(rootfsDirs, ",")
	}
	if len(pod.Annotations) == 0 {
		pod.Annotations = nil
	}
	return yaml.Marshal(pod)
}

func cgroupsPeriod(p int64) int64 {
	if p == 0 {
		return cgroups.DefaultCPUPeriod
	}
	return p
}
