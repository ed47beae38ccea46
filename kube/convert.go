package kube

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/rootfs"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Lookup finds the ConfigMaps and Secrets a pod refers to: those of the
// same manifest first, then those kept by an earlier apply.
type Lookup struct {
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
}

func (l Lookup) configMap(name string) (*corev1.ConfigMap, error) {
	if cm := l.ConfigMaps[name]; cm != nil {
		return cm, nil
	}
	return ConfigMap(name)
}

func (l Lookup) secret(name string) (*corev1.Secret, error) {
	if s := l.Secrets[name]; s != nil {
		return s, nil
	}
	return Secret(name)
}

// Plan is what a Pod becomes: podctl's pod, its containers (init
// containers first, in order) and its volumes.
type Plan struct {
	Spec       model.PodSpec
	Containers []model.ContainerSpec
	Volumes    []sandbox.PodVolume
	// HostPaths: hostPath volumes of type DirectoryOrCreate and
	// FileOrCreate, made by Create once everything else is checked.
	HostPaths []HostPath
	Warnings  []string
}

// HostPath is a hostPath volume to create.
type HostPath struct {
	Path string
	Dir  bool
}

// fieldErrors gathers every problem of a pod, each with its path.
type fieldErrors struct {
	errs []string
	warn []string
}

func (f *fieldErrors) add(path, format string, args ...any) {
	f.errs = append(f.errs, path+": "+fmt.Sprintf(format, args...))
}

// ConvertError lists every problem of one Pod.
type ConvertError struct {
	Pod  string
	Errs []string
}

func (e *ConvertError) Error() string {
	return fmt.Sprintf("Pod %s: %s", e.Pod, strings.Join(e.Errs, "; "))
}

// Convert turns pod into a Plan. raw is the document as written: a field
// set in it that podctl does not honour is an error (a warning with warn,
// and the field is then not honoured: say so is all podctl can do).
func Convert(pod *corev1.Pod, raw []byte, look Lookup, warn bool) (*Plan, error) {
	f := &fieldErrors{}
	unsupported, err := Unsupported(raw, "Pod")
	if err != nil {
		return nil, err
	}
	for _, p := range unsupported {
		msg := p + ": not supported by podctl"
		if warn {
			f.warn = append(f.warn, msg+"; ignored (--validate=warn)")
		} else {
			f.errs = append(f.errs, msg+" (remove it, or podctl apply --validate=warn to run without it)")
		}
	}
	plan := &Plan{}
	c := converter{pod: pod, look: look, f: f, plan: plan}
	c.podSpec()
	c.logAnnotations()
	c.volumes()
	for i := range pod.Spec.InitContainers {
		c.container(&pod.Spec.InitContainers[i], fmt.Sprintf("spec.initContainers[%d]", i), true)
	}
	if len(pod.Spec.Containers) == 0 {
		f.add("spec.containers", "a pod needs at least one container")
	}
	for i := range pod.Spec.Containers {
		c.container(&pod.Spec.Containers[i], fmt.Sprintf("spec.containers[%d]", i), false)
	}
	if err := netsetup.CheckDuplicates(plan.Spec.Network.Ports); err != nil {
		f.add("spec.containers[].ports", "%v", err)
	}
	plan.Warnings = f.warn
	if len(f.errs) > 0 {
		return nil, &ConvertError{Pod: pod.Name, Errs: f.errs}
	}
	return plan, nil
}

type converter struct {
	pod   *corev1.Pod
	look  Lookup
	f     *fieldErrors
	plan  *Plan
	names map[string]string // container name -> its path, for duplicates
	vols  map[string]bool   // volume names
}

func (c *converter) podSpec() {
	p, s, f := c.pod, &c.plan.Spec, c.f
	if p.Name == "" {
		f.add("metadata.name", "required")
	} else if err := model.ValidateName("pod", p.Name); err != nil {
		f.add("metadata.name", "%v (podctl's pod names are DNS labels)", err)
	}
	s.Name = p.Name
	// The namespace is kept, as the kubelet's label, and validated as
	// the API server does (a DNS label): it names a directory on a
	// cluster, and podctl ps will show it.
	if p.Namespace != "" {
		if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
			f.add("metadata.namespace", "%q: %s", p.Namespace, strings.Join(errs, "; "))
		} else {
			s.Labels = map[string]string{model.LabelNamespace: p.Namespace}
		}
	}
	s.Hostname = p.Spec.Hostname
	if s.Hostname != "" {
		if errs := validation.IsDNS1123Label(s.Hostname); len(errs) > 0 {
			f.add("spec.hostname", "%s", strings.Join(errs, "; "))
		}
	}
	// The pod ends when its app containers are done, as on a cluster.
	s.AutoStop, s.FromManifest = true, true
	// Kubernetes' default: each container its own pid namespace.
	s.SharePID = p.Spec.ShareProcessNamespace != nil && *p.Spec.ShareProcessNamespace
	switch p.Spec.RestartPolicy {
	case "", corev1.RestartPolicyAlways:
		s.RestartPolicy = model.RestartAlways
	case corev1.RestartPolicyOnFailure:
		s.RestartPolicy = model.RestartOnFailure
	case corev1.RestartPolicyNever:
		s.RestartPolicy = model.RestartNever
	default:
		f.add("spec.restartPolicy", "%q: Always, OnFailure or Never", p.Spec.RestartPolicy)
	}
	if d := p.Spec.ActiveDeadlineSeconds; d != nil {
		if *d <= 0 {
			f.add("spec.activeDeadlineSeconds", "must be positive")
		}
		s.ActiveDeadline = time.Duration(*d) * time.Second
	}
	if g := p.Spec.TerminationGracePeriodSeconds; g != nil {
		if *g < 0 {
			f.add("spec.terminationGracePeriodSeconds", "must be 0 or more")
		}
		d := time.Duration(*g) * time.Second
		s.TerminationGrace = &d
	}
	// The network.
	s.Network.Mode = netsetup.Default()
	if p.Spec.HostNetwork {
		s.Network.Mode = netsetup.Host
	}
	s.HostIPC, s.HostPID = p.Spec.HostIPC, p.Spec.HostPID
	if ps := p.Spec.SecurityContext; ps != nil && len(ps.Sysctls) > 0 {
		s.Sysctls = map[string]string{}
		for i, sc := range ps.Sysctls {
			if _, dup := s.Sysctls[sc.Name]; dup {
				f.add(fmt.Sprintf("spec.securityContext.sysctls[%d].name", i), "%s is set twice", sc.Name)
			}
			s.Sysctls[sc.Name] = sc.Value
		}
		if err := s.ValidateSysctls(); err != nil {
			f.add("spec.securityContext.sysctls", "%v", err)
		}
	}
	switch p.Spec.DNSPolicy {
	case "", corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSClusterFirstWithHostNet:
		// One machine has no cluster DNS: the host's resolvers, as
		// dnsPolicy Default gives them.
	case corev1.DNSNone:
		if p.Spec.DNSConfig == nil || len(p.Spec.DNSConfig.Nameservers) == 0 {
			f.add("spec.dnsConfig.nameservers", "dnsPolicy None needs at least one")
		}
		if len(s.Network.DNSSearch) == 0 {
			s.Network.DNSSearch = []string{"."}
		}
	default:
		f.add("spec.dnsPolicy", "%q: ClusterFirst, Default or None", p.Spec.DNSPolicy)
	}
	if d := p.Spec.DNSConfig; d != nil {
		for i, ns := range d.Nameservers {
			if _, err := netip.ParseAddr(ns); err != nil {
				f.add(fmt.Sprintf("spec.dnsConfig.nameservers[%d]", i), "%q is not an IP address", ns)
			}
		}
		s.Network.DNS = d.Nameservers
		if len(d.Searches) > 0 {
			s.Network.DNSSearch = d.Searches
		}
		for _, o := range d.Options {
			opt := o.Name
			if o.Value != nil {
				opt += ":" + *o.Value
			}
			s.Network.DNSOptions = append(s.Network.DNSOptions, opt)
		}
	}
	for i, a := range p.Spec.HostAliases {
		for _, h := range a.Hostnames {
			e, err := netsetup.ParseAddHost(h + ":" + a.IP)
			if err != nil {
				f.add(fmt.Sprintf("spec.hostAliases[%d]", i), "%v", err)
				continue
			}
			s.Network.AddHosts = append(s.Network.AddHosts, e)
		}
	}
}

// volumes checks spec.volumes and makes the pod's own (configMap, secret,
// emptyDir); hostPath volumes become binds of the containers.
func (c *converter) volumes() {
	c.vols = map[string]bool{}
	for i, v := range c.pod.Spec.Volumes {
		at := fmt.Sprintf("spec.volumes[%d]", i)
		if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
			c.f.add(at+".name", "%q: %s", v.Name, strings.Join(errs, "; "))
		}
		if c.vols[v.Name] {
			c.f.add(at+".name", "%q: two volumes of that name", v.Name)
		}
		c.vols[v.Name] = true
		n := 0
		switch {
		case v.EmptyDir != nil:
			n++
			switch v.EmptyDir.Medium {
			case corev1.StorageMediumDefault, corev1.StorageMediumMemory:
			default:
				c.f.add(at+".emptyDir.medium", "%q: \"\" or Memory", v.EmptyDir.Medium)
			}
			c.plan.Volumes = append(c.plan.Volumes, sandbox.PodVolume{Name: v.Name, Empty: true,
				SizeLimit: c.sizeLimit(at+".emptyDir.sizeLimit", v.EmptyDir.SizeLimit)})
		case v.ConfigMap != nil:
			n++
			c.configMapVolume(at+".configMap", v.Name, v.ConfigMap)
		case v.Secret != nil:
			n++
			c.secretVolume(at+".secret", v.Name, v.Secret)
		case v.HostPath != nil:
			n++
			c.hostPath(at+".hostPath", v.HostPath)
		}
		if n == 0 {
			c.f.add(at, "volume %q has no source podctl knows (emptyDir, hostPath, configMap or secret)", v.Name)
		}
	}
}

// sizeLimit reads an emptyDir's sizeLimit; zero (or none) is no limit, as
// for the kubelet, which evicts only for a positive one. The limit in
// bytes is the largest whole number of bytes not above q (0 for "500m"): a
// usage (whole bytes) above it is above q, the kubelet's comparison.
func (c *converter) sizeLimit(at string, q *resource.Quantity) model.SizeLimit {
	if q == nil || q.Sign() == 0 {
		return model.SizeLimit{}
	}
	if q.Sign() < 0 {
		// The API server's words (validateVolumeSource).
		c.f.add(at, "%s: SizeLimit field must be a valid resource quantity", q)
		return model.SizeLimit{}
	}
	if q.Cmp(*resource.NewQuantity(math.MaxInt64, resource.BinarySI)) > 0 {
		c.f.add(at, "%s: more bytes than podctl can count (2^63-1)", q)
		return model.SizeLimit{}
	}
	b := q.Value() // rounded up
	if q.Cmp(*resource.NewQuantity(b, resource.BinarySI)) != 0 {
		b-- // a fraction of a byte
	}
	return model.SizeLimit{Bytes: b, Quantity: q.String()}
}

func (c *converter) configMapVolume(at, name string, src *corev1.ConfigMapVolumeSource) {
	cm, err := c.look.configMap(src.Name)
	if err != nil {
		if errors.Is(err, ErrNotFound) && src.Optional != nil && *src.Optional {
			c.plan.Volumes = append(c.plan.Volumes, sandbox.PodVolume{Name: name})
			return
		}
		c.f.add(at+".name", "%v (create it first: in the same file, or podctl configmap create)", err)
		return
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	c.keyedVolume(at, name, data, src.Items, src.DefaultMode)
}

func (c *converter) secretVolume(at, name string, src *corev1.SecretVolumeSource) {
	s, err := c.look.secret(src.SecretName)
	if err != nil {
		if errors.Is(err, ErrNotFound) && src.Optional != nil && *src.Optional {
			c.plan.Volumes = append(c.plan.Volumes, sandbox.PodVolume{Name: name})
			return
		}
		c.f.add(at+".secretName", "%v (create it first: in the same file, or podctl secret create)", err)
		return
	}
	data := map[string][]byte{}
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	c.keyedVolume(at, name, data, src.Items, src.DefaultMode)
}

// keyedVolume lays out a configMap's or secret's keys as files: every key
// (or only items, at their paths), mode defaultMode (0644 by default).
func (c *converter) keyedVolume(at, name string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32) {
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		if *defaultMode < 0 || *defaultMode > 0o777 {
			c.f.add(at+".defaultMode", "%#o: from 0 to 0777", *defaultMode)
		}
		mode = os.FileMode(*defaultMode) & 0o777
	}
	v := sandbox.PodVolume{Name: name}
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v.Files = append(v.Files, sandbox.VolumeFile{Path: k, Data: data[k], Mode: mode})
		}
	}
	for i, it := range items {
		iat := fmt.Sprintf("%s.items[%d]", at, i)
		d, ok := data[it.Key]
		if !ok {
			c.f.add(iat+".key", "%q: no such key", it.Key)
			continue
		}
		if !relativePath(it.Path) {
			c.f.add(iat+".path", "%q: a relative path without ..", it.Path)
			continue
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode) & 0o777
		}
		v.Files = append(v.Files, sandbox.VolumeFile{Path: it.Path, Data: d, Mode: m})
	}
	c.plan.Volumes = append(c.plan.Volumes, v)
}

// hostPath checks a hostPath volume as the kubelet does for its type.
func (c *converter) hostPath(at string, h *corev1.HostPathVolumeSource) {
	if !path.IsAbs(h.Path) {
		c.f.add(at+".path", "%q: an absolute path", h.Path)
		return
	}
	typ := corev1.HostPathUnset
	if h.Type != nil {
		typ = *h.Type
	}
	st, err := os.Stat(h.Path)
	exists := err == nil
	want := func(ok bool, what string) {
		if !exists {
			c.f.add(at+".path", "%s: no such %s (type %s)", h.Path, what, typ)
		} else if !ok {
			c.f.add(at+".path", "%s: not a %s (type %s)", h.Path, what, typ)
		}
	}
	switch typ {
	case corev1.HostPathUnset:
		if !exists {
			c.f.add(at+".path", "%s: no such file or directory (type \"\" mounts what is there; DirectoryOrCreate makes a directory)", h.Path)
		}
	case corev1.HostPathDirectoryOrCreate:
		if !exists {
			c.plan.HostPaths = append(c.plan.HostPaths, HostPath{Path: h.Path, Dir: true})
		} else if !st.IsDir() {
			c.f.add(at+".path", "%s: not a directory (type DirectoryOrCreate)", h.Path)
		}
	case corev1.HostPathFileOrCreate:
		if !exists {
			c.plan.HostPaths = append(c.plan.HostPaths, HostPath{Path: h.Path})
		} else if !st.Mode().IsRegular() {
			c.f.add(at+".path", "%s: not a file (type FileOrCreate)", h.Path)
		}
	case corev1.HostPathDirectory:
		want(exists && st.IsDir(), "directory")
	case corev1.HostPathFile:
		want(exists && st.Mode().IsRegular(), "file")
	case corev1.HostPathSocket:
		want(exists && st.Mode()&os.ModeSocket != 0, "socket")
	case corev1.HostPathCharDev:
		want(exists && st.Mode()&os.ModeCharDevice != 0, "character device")
	case corev1.HostPathBlockDev:
		want(exists && st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0, "block device")
	default:
		c.f.add(at+".type", "%q: DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice", typ)
	}
}

func relativePath(p string) bool {
	if p == "" || path.IsAbs(p) {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

// hostPathOf is the hostPath volume called name, or nil.
func (c *converter) hostPathOf(name string) *corev1.HostPathVolumeSource {
	for _, v := range c.pod.Spec.Volumes {
		if v.Name == name {
			return v.HostPath
		}
	}
	return nil
}

func (c *converter) container(k *corev1.Container, at string, init bool) {
	f := c.f
	ctr := model.ContainerSpec{Name: k.Name, Init: init, Image: k.Image, Command: k.Command, Args: k.Args, Cwd: k.WorkingDir}
	if c.names == nil {
		c.names = map[string]string{}
	}
	if err := model.ValidateName("container", k.Name); err != nil {
		f.add(at+".name", "%v", err)
	} else if prev, dup := c.names[k.Name]; dup {
		f.add(at+".name", "%q: also the name of %s", k.Name, prev)
	}
	c.names[k.Name] = at
	if k.Image == "" {
		f.add(at+".image", "required")
	}
	switch k.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		f.add(at+".imagePullPolicy", "%q: Always, IfNotPresent or Never", k.ImagePullPolicy)
	}
	if k.RestartPolicy != nil {
		switch {
		case !init:
			f.add(at+".restartPolicy", "only an init container takes one (Always: a native sidecar)")
		case *k.RestartPolicy != corev1.ContainerRestartPolicyAlways:
			f.add(at+".restartPolicy", "%q: Always (a native sidecar) is the only value", *k.RestartPolicy)
		default:
			ctr.Sidecar = true
		}
	}
	if init && !ctr.Sidecar && (k.LivenessProbe != nil || k.ReadinessProbe != nil || k.StartupProbe != nil || k.Lifecycle != nil) {
		f.add(at, "an init container that runs to completion takes no probes or lifecycle hooks (a native sidecar, restartPolicy Always, does)")
	}
	// As the kubelet: stdin is kept open for podctl attach -i, and
	// stdinOnce closes it when the first session ends (attach.go).
	ctr.Stdin, ctr.StdinOnce, ctr.TTY = k.Stdin, k.StdinOnce, k.TTY
	if init && !ctr.Sidecar && k.Stdin {
		f.add(at+".stdin", "an init container runs to completion before the app containers, and podctl attach reaches running containers only; remove it")
	}
	if p := k.TerminationMessagePath; p != "" && p != corev1.TerminationMessagePathDefault {
		f.add(at+".terminationMessagePath", "podctl reads no termination message: only the default %s is accepted", corev1.TerminationMessagePathDefault)
	}
	if p := k.TerminationMessagePolicy; p != "" && p != corev1.TerminationMessageReadFile {
		f.add(at+".terminationMessagePolicy", "podctl reads no termination message: only the default File is accepted")
	}
	c.env(k, at, &ctr)
	c.ports(k, at)
	c.mounts(k, at, &ctr)
	c.resources(k, at, &ctr)
	c.security(k, at, &ctr)
	c.probes(k, at, &ctr)
	c.plan.Containers = append(c.plan.Containers, ctr)
}

func (c *converter) ports(k *corev1.Container, at string) {
	s := &c.plan.Spec
	for i, p := range k.Ports {
		pat := fmt.Sprintf("%s.ports[%d]", at, i)
		if p.ContainerPort < 1 || p.ContainerPort > 65535 {
			c.f.add(pat+".containerPort", "%d: from 1 to 65535", p.ContainerPort)
			continue
		}
		proto := "tcp"
		switch p.Protocol {
		case "", corev1.ProtocolTCP:
		case corev1.ProtocolUDP:
			proto = "udp"
		default:
			c.f.add(pat+".protocol", "%q: TCP or UDP (podctl does not forward SCTP)", p.Protocol)
			continue
		}
		if p.HostPort == 0 {
			if p.HostIP != "" {
				c.f.add(pat+".hostIP", "needs a hostPort")
			}
			continue // informational, as on a cluster
		}
		if p.HostPort < 0 || p.HostPort > 65535 {
			c.f.add(pat+".hostPort", "%d: from 1 to 65535", p.HostPort)
			continue
		}
		if s.Network.Mode == netsetup.Host {
			if p.HostPort != p.ContainerPort {
				c.f.add(pat+".hostPort", "with hostNetwork it must equal containerPort (%d), as Kubernetes requires", p.ContainerPort)
			}
			continue
		}
		if p.HostIP != "" {
			if _, err := netip.ParseAddr(p.HostIP); err != nil {
				c.f.add(pat+".hostIP", "%q is not an IP address", p.HostIP)
				continue
			}
		}
		s.Network.Ports = append(s.Network.Ports, netsetup.Port{HostIP: p.HostIP, HostPort: uint16(p.HostPort),
			ContainerPort: uint16(p.ContainerPort), Protocol: proto})
	}
}

func (c *converter) mounts(k *corev1.Container, at string, ctr *model.ContainerSpec) {
	for i, m := range k.VolumeMounts {
		mat := fmt.Sprintf("%s.volumeMounts[%d]", at, i)
		if !c.vols[m.Name] {
			c.f.add(mat+".name", "%q: no volume of that name in spec.volumes", m.Name)
			continue
		}
		if !path.IsAbs(m.MountPath) {
			c.f.add(mat+".mountPath", "%q: an absolute path", m.MountPath)
			continue
		}
		if m.SubPath != "" && !relativePath(m.SubPath) {
			c.f.add(mat+".subPath", "%q: a relative path without ..", m.SubPath)
			continue
		}
		mnt := rootfs.Mount{Type: "bind", Target: path.Clean(m.MountPath), ReadOnly: m.ReadOnly}
		if h := c.hostPathOf(m.Name); h != nil {
			mnt.Source = path.Join(h.Path, m.SubPath)
		} else {
			mnt.PodVolume, mnt.SubPath = m.Name, m.SubPath
		}
		ctr.Mounts = append(ctr.Mounts, mnt)
	}
}

// resources turns requests and limits into cgroup values the kubelet's
// way: limits.memory is memory.max, limits.cpu is cpu.max (millicores ×
// 100 µs per 100 ms), requests.cpu is cpu.weight (from the cgroup v1
// shares, 1024 per CPU, by the kubelet's formula), requests.memory is
// memory.min.
func (c *converter) resources(k *corev1.Container, at string, ctr *model.ContainerSpec) {
	r := &ctr.Resources
	if q, ok := k.Resources.Limits[corev1.ResourceMemory]; ok {
		r.MemoryMax = q.Value()
		r.MemorySwap = r.MemoryMax // no swap beyond the limit, as the kubelet
	}
	if q, ok := k.Resources.Limits[corev1.ResourceCPU]; ok {
		r.CPUQuota = q.MilliValue() * cgroups.DefaultCPUPeriod / 1000
		if r.CPUQuota < 1000 {
			r.CPUQuota = 1000 // the kubelet's minimum quota, 1 ms
		}
	}
	if q, ok := k.Resources.Requests[corev1.ResourceCPU]; ok {
		shares := q.MilliValue() * 1024 / 1000
		if shares < 2 {
			shares = 2
		}
		r.CPUWeight = 1 + ((shares-2)*9999)/262142
	}
	if q, ok := k.Resources.Requests[corev1.ResourceMemory]; ok {
		r.MemoryMin = q.Value()
	}
	if r.MemoryMax > 0 && r.MemoryMin > r.MemoryMax {
		c.f.add(at+".resources.requests.memory", "above limits.memory")
	}
	if err := r.Validate(); err != nil {
		c.f.add(at+".resources", "%v", err)
	}
}

func (c *converter) security(k *corev1.Container, at string, ctr *model.ContainerSpec) {
	var uid, gid *int64
	nonRoot := false
	if ps := c.pod.Spec.SecurityContext; ps != nil {
		uid, gid = ps.RunAsUser, ps.RunAsGroup
		nonRoot = ps.RunAsNonRoot != nil && *ps.RunAsNonRoot
	}
	sc := k.SecurityContext
	if sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
	}
	switch {
	case uid != nil && gid != nil:
		ctr.User = fmt.Sprintf("%d:%d", *uid, *gid)
	case uid != nil:
		ctr.User = strconv.FormatInt(*uid, 10)
	case gid != nil:
		c.f.add(at+".securityContext.runAsGroup", "podctl needs runAsUser with it")
	}
	if uid != nil && (*uid < 0 || *uid > 1<<31) {
		c.f.add(at+".securityContext.runAsUser", "%d: not a uid", *uid)
	}
	if nonRoot && uid != nil && *uid == 0 {
		c.f.add(at+".securityContext.runAsNonRoot", "runAsUser is 0")
	}
	ctr.RunAsNonRoot = nonRoot
	if ps := c.pod.Spec.SecurityContext; ps != nil {
		for i, g := range ps.SupplementalGroups {
			if g < 0 || g >= 1<<32-1 {
				c.f.add(fmt.Sprintf("spec.securityContext.supplementalGroups[%d]", i), "%d: not a gid", g)
				continue
			}
			ctr.Groups = append(ctr.Groups, uint32(g))
		}
		if p := ps.SupplementalGroupsPolicy; p != nil {
			switch *p {
			case corev1.SupplementalGroupsPolicyMerge:
			case corev1.SupplementalGroupsPolicyStrict:
				ctr.GroupsStrict = true
			default:
				c.f.add("spec.securityContext.supplementalGroupsPolicy", "%q: Merge or Strict", *p)
			}
		}
	}
	if sc == nil {
		return
	}
	if sc.Privileged != nil && *sc.Privileged {
		ctr.Privileged = true
		c.f.warn = append(c.f.warn, at+".securityContext.privileged: every capability in the pod's user namespace, no seccomp, /proc unmasked")
	}
	// podctl sets no_new_privs unless told otherwise, where a cluster's
	// default is to allow escalation: only an explicit true allows it.
	ctr.AllowPrivilegeEscalation = sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation
	if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		ctr.ReadOnly, ctr.ReadOnlyBare = true, true
	}
	if caps := sc.Capabilities; caps != nil {
		for _, a := range caps.Add {
			ctr.CapAdd = append(ctr.CapAdd, string(a))
		}
		for _, d := range caps.Drop {
			ctr.CapDrop = append(ctr.CapDrop, string(d))
		}
		if _, err := model.ResolveCaps(ctr.CapAdd, ctr.CapDrop); err != nil {
			c.f.add(at+".securityContext.capabilities", "%v", err)
		}
	}
}
