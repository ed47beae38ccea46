package model

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox/idmap"

	"github.com/podctl/podctl/cgroups"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/rootfs"
	"golang.org/x/sys/unix"
)

// RestartPolicy is a pod's Kubernetes restartPolicy: what the supervisor
// does when a container exits.
type RestartPolicy string

const (
	RestartAlways    RestartPolicy = "Always"
	RestartOnFailure RestartPolicy = "OnFailure"
	RestartNever     RestartPolicy = "Never"
)

// ParseRestartPolicy accepts Kubernetes' spelling and the command-line one
// (always, on-failure, never).
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "always":
		return RestartAlways, nil
	case "onfailure":
		return RestartOnFailure, nil
	case "never", "no", "":
		return RestartNever, nil
	}
	return "", fmt.Errorf("--restart %q: use always, on-failure or never", s)
}

// Restarts says whether a container that exited with code is started again.
func (p RestartPolicy) Restarts(code int) bool {
	return p == RestartAlways || p == RestartOnFailure && code != 0
}

// PodSpec is what a pod is asked to be; it does not change after creation.
type PodSpec struct {
	// ID names the pod for programs (a CRI sandbox id): 64 hex digits,
	// made by Validate; Name is what users type. Either finds the pod.
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Labels: the caller's own key/value pairs (a Kubernetes pod's
	// namespace, name and uid under CRI), for List's filters.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations: the caller's unstructured key/value pairs (a CRI
	// sandbox's annotations), kept and given back, never interpreted.
	Annotations   map[string]string `json:"annotations,omitempty"`
	Hostname      string            `json:"hostname"`
	SharePID      bool              `json:"sharePid"`
	RestartPolicy RestartPolicy     `json:"restartPolicy"`
	// AutoStop: a pod made by podctl run for its container ends when its
	// containers are done; a pod made by podctl pod create lives until
	// podctl stop or rm, and takes new containers meanwhile.
	AutoStop bool `json:"autoStop,omitempty"`
	// Remove: delete the pod's state when it ends (podctl run --rm).
	Remove bool `json:"remove,omitempty"`
	// ActiveDeadline: how long the pod may run, from its start (podctl run
	// --timeout; Pod YAML's activeDeadlineSeconds); 0 for ever.
	ActiveDeadline time.Duration `json:"activeDeadline,omitempty"`
	// ResultFile: where the supervisor writes the pod's Result once it
	// has ended (podctl run --result-file).
	ResultFile string `json:"resultFile,omitempty"`
	// UserNS: "" (pod root is the caller) or "keep-id" (the caller's ids
	// are the same inside; see sandbox/idmap/keepid.go).
	UserNS string `json:"userns,omitempty"`
	// Network: --network, -p, --dns, --add-host, ...
	Network netsetup.Config `json:"network"`
	// Resources: the pod's own cgroup limits (pod create --memory ...),
	// over those of its containers.
	Resources cgroups.Resources `json:"resources,omitempty"`
	// FromManifest: a pod of podctl apply ends when all its app
	// containers are done (Kubernetes), not with its first container (a
	// pod of podctl run).
	FromManifest bool `json:"fromManifest,omitempty"`
	// TerminationGrace: how long podctl stop waits before SIGKILL when not
	// told (a manifest's terminationGracePeriodSeconds); nil: the default.
	TerminationGrace *time.Duration `json:"terminationGrace,omitempty"`
	// VolumeLimits: the sizeLimit of each emptyDir that has one (a
	// manifest's), in the manifest's order. The supervisor measures those
	// volumes now and then, and evicts the pod once one holds more
	// (sandbox/supervisor/eviction.go).
	VolumeLimits []VolumeLimit `json:"volumeLimits,omitempty"`
	// LogMaxSize and LogMaxFiles: a container's log is rotated when it
	// would grow past LogMaxSize bytes, and LogMaxFiles files of it are
	// kept (sandbox/crilog/rotate.go), as the kubelet's
	// containerLogMaxSize and containerLogMaxFiles (--log-max-size,
	// --log-max-files; a manifest's podctl.io/container-log-max-size and
	// podctl.io/container-log-max-files annotations). Validate fills in
	// the kubelet's defaults, 10 MiB and 5.
	LogMaxSize  int64 `json:"logMaxSize,omitempty"`
	LogMaxFiles int   `json:"logMaxFiles,omitempty"`
	// HostIPC: the pod keeps the IPC namespace podctl runs in (a CRI
	// sandbox's namespace_options.ipc NODE, Kubernetes' hostIPC): its
	// System V IPC objects and POSIX message queues are the host's, and
	// its containers get the host's /dev/shm and /dev/mqueue.
	HostIPC bool `json:"hostIpc,omitempty"`
	// HostPID: the pod's processes stay in the PID namespace podctl runs
	// in (a CRI sandbox's namespace_options.pid NODE, Kubernetes'
	// hostPID): they see the host's processes, and /proc is the host's.
	// The pause is then no init whose end ends them all, so such a pod
	// needs a cgroup, whose cgroup.kill does (supervisor.Create refuses
	// one without).
	HostPID bool `json:"hostPid,omitempty"`
	// Sysctls: kernel parameters of the pod's own namespaces (a CRI
	// sandbox's sysctls), written by the pause before any container
	// starts (sysctl.go says which may be set).
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// NodeMounts: the containers' mount namespaces are copies of the
	// node's instead of the host's; for a rootless pod on the shared
	// network (a CRI server's), the node is the network's holder, whose
	// mount namespace is where the kubelet's hostPath volumes and the
	// mounts of a Bidirectional volume live (sandbox/podnet/nodemounts.go).
	// Elsewhere the node's is the host's: nothing changes.
	NodeMounts bool `json:"nodeMounts,omitempty"`
	// CgroupParent: the cgroup the pod's goes under (a CRI sandbox's
	// cgroup_parent, the kubelet's pod cgroup with cgroupsPerQOS), a path
	// of the cgroup2 hierarchy inside the delegation; "" for podctl's
	// own subtree. Without a delegation there is no pod cgroup at all.
	CgroupParent string `json:"cgroupParent,omitempty"`
}

// UsesSharedNetwork reports whether the pod is made in the shared
// network (sandbox/podnet/bridge.go), holding a lease there: a bridge pod,
// and a rootless CNI pod, whose plugins run in that network's namespaces
// and so need the pod's network namespace owned by its user namespace.
func (s *PodSpec) UsesSharedNetwork() bool {
	return s.Network.Mode == netsetup.Bridge || s.Network.Mode == netsetup.CNI && os.Getuid() != 0
}

// NodeMountNamespace reports whether the pod's containers copy the
// shared network's mount namespace (NodeMounts, for a rootless pod on
// it) rather than the host's.
func (s *PodSpec) NodeMountNamespace() bool {
	return s.NodeMounts && s.UsesSharedNetwork() && os.Getuid() != 0
}

// ContainerSpec is one container of a pod.
type ContainerSpec struct {
	// ID names the container for programs (a CRI container id): 64 hex
	// digits, made by Validate; Name is what users type.
	ID     string            `json:"id,omitempty"`
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations: as PodSpec's, a CRI container's.
	Annotations map[string]string `json:"annotations,omitempty"`
	// LogPath: where the container's CRI log goes, chosen by the caller
	// (the kubelet's log directory); "" for the pod's own logs/ directory
	// (LogFile).
	LogPath string `json:"logPath,omitempty"`
	Init    bool   `json:"init,omitempty"` // an init container: runs to completion before the app containers
	// Sidecar: an init container that keeps running (Kubernetes' native
	// sidecar, restartPolicy Always): started in init order, the next
	// init container waits for it to have started, never for its end;
	// restarted whatever its exit; stopped once the app containers are
	// done; ignored for the pod's phase.
	Sidecar bool   `json:"sidecar,omitempty"`
	Rootfs  string `json:"rootfs,omitempty"`
	// Image: where the rootfs comes from instead, as the user named it;
	// Command replaces the image's Entrypoint (--entrypoint, Kubernetes'
	// command) and Args its Cmd. Layer is the container's own layer in
	// the store, made before the pod starts (prepareImage); StopSignal is
	// the image's, sent instead of SIGTERM by podctl stop.
	Image      string           `json:"image,omitempty"`
	Command    []string         `json:"command,omitempty"`
	Layer      *images.Prepared `json:"layer,omitempty"`
	StopSignal string           `json:"stopSignal,omitempty"`
	Args       []string         `json:"args"`
	// Mounts: -v and --tmpfs; ReadOnly: --read-only (the root read-only,
	// with tmpfs on /tmp, /var/tmp and /run).
	Mounts   []rootfs.Mount `json:"mounts,omitempty"`
	ReadOnly bool           `json:"readOnly,omitempty"`
	// ImageVolumes: images mounted read-only (imagevolume.go).
	ImageVolumes []ImageVolume `json:"imageVolumes,omitempty"`
	Env          []string      `json:"env,omitempty"` // KEY=VALUE
	Cwd          string        `json:"workingDir,omitempty"`
	User         string        `json:"user,omitempty"`
	// Remove: forget the container once it has terminated for good
	// (podctl run --rm --pod).
	Remove bool `json:"remove,omitempty"`
	// Caps: what --cap-add and --cap-drop made of DefaultCaps (filled in
	// by Validate); Privileged: every capability, nothing masked.
	CapAdd     []string `json:"capAdd,omitempty"`
	CapDrop    []string `json:"capDrop,omitempty"`
	Caps       []string `json:"caps,omitempty"`
	Privileged bool     `json:"privileged,omitempty"`
	// Seccomp: "" for moby's default profile, "unconfined" for none, or
	// the absolute path of a profile in docker's JSON format.
	Seccomp string `json:"seccomp,omitempty"`
	// Resources: the container's cgroup limits (--memory, --cpus, ...).
	Resources cgroups.Resources `json:"resources,omitempty"`
	// ReadOnlyBare: with ReadOnly, no tmpfs on /tmp, /var/tmp and /run
	// (Kubernetes' readOnlyRootFilesystem adds none).
	ReadOnlyBare bool `json:"readOnlyBare,omitempty"`
	// RunAsNonRoot: refuse to start as uid 0 (Kubernetes' runAsNonRoot),
	// checked once the user is resolved in the container's root.
	RunAsNonRoot bool `json:"runAsNonRoot,omitempty"`
	// Groups: supplementary gids the workload gets besides those its
	// user has in the image's /etc/group (Kubernetes' supplementalGroups);
	// GroupsStrict: none from /etc/group, only the primary group and
	// Groups (supplementalGroupsPolicy: Strict).
	Groups       []uint32 `json:"groups,omitempty"`
	GroupsStrict bool     `json:"groupsStrict,omitempty"`
	// AllowPrivilegeEscalation: no no_new_privs, so that a setuid binary
	// or file capabilities work (Kubernetes' allowPrivilegeEscalation:
	// true); podctl sets no_new_privs otherwise.
	AllowPrivilegeEscalation bool `json:"allowPrivilegeEscalation,omitempty"`
	// MaskedPaths and ReadonlyPaths, when set, replace podctl's lists
	// (rootfs.MaskedPaths, rootfs.ReadonlyPaths) with the caller's (a CRI
	// container's, which the kubelet fills from its procMount).
	MaskedPaths   []string `json:"maskedPaths,omitempty"`
	ReadonlyPaths []string `json:"readonlyPaths,omitempty"`
	// Stdin: the workload's standard input is a pipe the supervisor keeps
	// open, written by podctl attach -i (Kubernetes' stdin), rather than
	// /dev/null; StdinOnce: closed when the first attach session ends,
	// until the next run; TTY: its stdin, stdout and stderr are a pty of
	// the container's own devpts, whose master the supervisor logs (stdin
	// goes to the same master). sandbox/supervisor/attachserve.go.
	Stdin     bool `json:"stdin,omitempty"`
	StdinOnce bool `json:"stdinOnce,omitempty"`
	TTY       bool `json:"tty,omitempty"`
	// Probes and lifecycle hooks (a manifest's), run by the supervisor
	// (sandbox/supervisor/probe.go).
	Startup   *Probe   `json:"startupProbe,omitempty"`
	Liveness  *Probe   `json:"livenessProbe,omitempty"`
	Readiness *Probe   `json:"readinessProbe,omitempty"`
	PostStart *Handler `json:"postStart,omitempty"`
	PreStop   *Handler `json:"preStop,omitempty"`
}

// randomName makes a name for a pod or container the user did not name.
// NewPodName is a name for a pod its maker did not name: "pod-" and six
// hex digits. A caller that shows the name makes it first (podctl run -d
// prints it).
func NewPodName() string { return randomName("pod-") }

// LabelNamespace is the label that keeps a pod's Kubernetes namespace
// (metadata.namespace of a manifest, a CRI sandbox's namespace): the key
// the kubelet itself labels its sandboxes with.
const LabelNamespace = "io.kubernetes.pod.namespace"

func randomName(prefix string) string { return prefix + RandomHex(3) }

// RandomHex is n random bytes in hex, from getrandom(2) as crypto/rand
// reads them: podctl does not link crypto/rand, whose FIPS module's
// initialisation (DRBG, self-checks) every podctl start would pay.
func RandomHex(n int) string {
	b := make([]byte, n)
	for off := 0; off < n; {
		m, err := unix.Getrandom(b[off:], 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			panic(fmt.Sprintf("getrandom: %v", err)) // as crypto/rand does: no ids without randomness
		}
		off += m
	}
	return hex.EncodeToString(b)
}

// NewID makes an id for a pod or container: 256 random bits in hex, as
// containerd and CRI-O make theirs. It is never a valid name (names are at
// most 63 characters), so a reference is one or the other.
func NewID() string { return RandomHex(32) }

// IsID says whether ref has the form of an id rather than of a name.
func IsID(ref string) bool {
	if len(ref) != 64 {
		return false
	}
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkID fills in an id, or checks the caller's.
func checkID(what string, id *string) error {
	if *id == "" {
		*id = NewID()
		return nil
	}
	if !IsID(*id) {
		return fmt.Errorf("%s id %q: expected 64 lowercase hex digits", what, *id)
	}
	return nil
}

// Validate checks the pod's spec before anything is created.
func (s *PodSpec) Validate() error {
	if err := checkID("pod", &s.ID); err != nil {
		return err
	}
	if s.Name == "" {
		s.Name = randomName("pod-")
	}
	if err := ValidateName("pod", s.Name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	if s.Hostname == "" {
		s.Hostname = s.Name
	}
	if err := ValidateName("host", s.Hostname); err != nil {
		return fmt.Errorf("--hostname: %w", err)
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = RestartNever
	}
	// The command line picks the default mode (netsetup.Default) and
	// says why; a spec that names none gets loopback only.
	if s.Network.Mode == "" {
		s.Network.Mode = netsetup.None
	}
	if err := s.Network.Validate(); err != nil {
		return err
	}
	if s.UserNS == idmap.UserNSKeepID && s.Network.Mode == netsetup.Bridge {
		return fmt.Errorf("--network bridge does not work with --userns keep-id yet (the pod's user namespace is made inside the shared network's, mapped as a plain pod's); use --network pasta")
	}
	if s.UserNS == idmap.UserNSKeepID && s.Network.Mode == netsetup.Slirp && os.Getuid() != 0 {
		return fmt.Errorf("--network slirp4netns does not work with --userns keep-id (slirp4netns 1.2.0 must open the pause's /proc/PID/ns/user, which pod root, not you, owns then); use --network pasta")
	}
	if err := netsetup.CheckPorts(s.Network.Ports); err != nil {
		return err
	}
	if s.UserNS != "" && s.UserNS != idmap.UserNSKeepID {
		return fmt.Errorf("--userns %q: podctl knows keep-id (or nothing: pod root is you)", s.UserNS)
	}
	if s.UserNS == idmap.UserNSKeepID && os.Getuid() != 0 {
		// Refused now, before anything is made, if it cannot be done.
		if _, err := idmap.Detect().KeepID(uint32(os.Getuid()), uint32(os.Getgid())); err != nil {
			return err
		}
	}
	if err := s.validateLogLimits(); err != nil {
		return err
	}
	if err := s.ValidateSysctls(); err != nil {
		return err
	}
	var err error
	s.ResultFile, err = checkResultFile(s.ResultFile)
	return err
}

// ForPod fills in what the pod's user namespace means for a container: in
// a keep-id pod it runs as the caller's ids unless -u says otherwise (and,
// from an image, gets layers owned for that mapping: prepareImage).
func (c *ContainerSpec) ForPod(p PodSpec) error {
	for _, m := range c.Mounts {
		// A mount goes back only to a mount namespace of the same user
		// namespace: copied into a less privileged one, every shared
		// mount becomes a slave (mount_namespaces(7), "Restrictions on
		// mount namespaces"). The pod's user namespace is its own unless
		// it is the shared network's.
		if m.Propagation == rootfs.PropagationShared && !p.NodeMountNamespace() {
			return fmt.Errorf("container %s: volume %s: propagation Bidirectional (rshared) needs a pod whose containers copy the node's mount namespace: a rootless CRI pod on the shared network (podctl cri serve --network bridge); in a user namespace of the pod's own, mounts can come in (HostToContainer) but none can go back", c.Name, m.Target)
		}
	}
	if p.UserNS != idmap.UserNSKeepID {
		return nil
	}
	if c.User == "" {
		c.User = idmap.KeepIDUser()
	}
	return nil
}

// Validate checks a container's spec, and fills in what can be derived:
// the absolute rootfs, the values of -e KEY taken from podctl's environment.
func (c *ContainerSpec) Validate() error {
	if err := checkID("container", &c.ID); err != nil {
		return err
	}
	if c.LogPath != "" && !filepath.IsAbs(c.LogPath) {
		return fmt.Errorf("container log path %q: must be absolute", c.LogPath)
	}
	if c.Name == "" {
		c.Name = randomName("ctr-")
	}
	if err := ValidateName("container", c.Name); err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	if err := c.validateRoot(); err != nil {
		return err
	}
	if c.Cwd != "" && !strings.HasPrefix(c.Cwd, "/") {
		return fmt.Errorf("--workdir %q: must be an absolute path inside the container", c.Cwd)
	}
	if _, _, err := ParseUserSpec(c.User); err != nil {
		return err
	}
	if err := checkMounts(c.Mounts); err != nil {
		return err
	}
	for _, v := range c.ImageVolumes {
		if err := v.check(); err != nil {
			return err
		}
	}
	caps, err := ResolveCaps(c.CapAdd, c.CapDrop)
	if err != nil {
		return err
	}
	c.Caps = caps
	if c.Privileged {
		c.Caps = CapNames
		c.Seccomp = "unconfined"
	}
	if c.Seccomp != "" && c.Seccomp != "unconfined" {
		abs, err := filepath.Abs(c.Seccomp)
		if err != nil {
			return fmt.Errorf("--security-opt seccomp=%s: %w", c.Seccomp, err)
		}
		c.Seccomp = abs
	}
	// A profile of the user's is compiled now too, so that a bad one is
	// refused before anything starts, with its file named.
	if c.Seccomp != "" && c.Seccomp != "unconfined" {
		if _, err := SeccompFilter(c, false); err != nil {
			return fmt.Errorf("--security-opt seccomp=%s: %w", c.Seccomp, err)
		}
	}
	return c.resolveEnv()
}

// validateRoot checks where the root filesystem comes from: an image (its
// command may come from the image, see prepareImage) or a directory.
func (c *ContainerSpec) validateRoot() error {
	if c.Image != "" {
		if c.Rootfs != "" {
			return fmt.Errorf("both --rootfs %s and image %s given: a container's root comes from one", c.Rootfs, c.Image)
		}
		_, err := images.ParseRef(c.Image)
		return err
	}
	if len(c.Args) == 0 {
		return errors.New("no command given: podctl run --rootfs DIR -- CMD [ARG...]")
	}
	if c.Rootfs == "" {
		return errors.New("no root filesystem: podctl run IMAGE [CMD...], or podctl run --rootfs DIR -- CMD")
	}
	abs, err := filepath.Abs(c.Rootfs)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return fmt.Errorf("--rootfs %s: %w", c.Rootfs, UnwrapPath(err))
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return fmt.Errorf("--rootfs %s: not a directory", c.Rootfs)
	}
	c.Rootfs = abs
	return nil
}

// resolveEnv checks -e KEY=VALUE and fills in -e KEY from podctl's own
// environment.
func (c *ContainerSpec) resolveEnv() error {
	for i, kv := range c.Env {
		k, _, hasValue := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t\n") {
			return fmt.Errorf("--env %q: expected KEY=VALUE (or KEY to pass on podctl's own value)", kv)
		}
		if !hasValue {
			// Like docker run -e KEY: the caller's own value.
			v, ok := os.LookupEnv(k)
			if !ok {
				return fmt.Errorf("--env %s: no value given and %s is not set in podctl's environment", k, k)
			}
			c.Env[i] = k + "=" + v
		}
		if err := CheckExecString(c.Env[i]); err != nil {
			return fmt.Errorf("--env %s: %w", k, err)
		}
	}
	for i, a := range c.Args {
		if err := CheckExecString(a); err != nil {
			return fmt.Errorf("the command's argument %d: %w", i, err)
		}
	}
	return nil
}

// MaxExecString is the longest argument or environment string execve(2)
// takes, its terminating NUL included: MAX_ARG_STRLEN, 32 pages (E2BIG
// beyond it, see execve(2), "Limits on size of arguments and environment").
const MaxExecString = 32 * 4096

// CheckExecString refuses up front an argument or KEY=VALUE string the
// kernel would refuse at execve, when the container is already made.
func CheckExecString(s string) error {
	if len(s)+1 > MaxExecString {
		return fmt.Errorf("%d bytes; execve(2) takes at most %d per string (MAX_ARG_STRLEN): pass large data in a file or a volume", len(s), MaxExecString-1)
	}
	return nil
}

func UnwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkResultFile checks --result-file before anything starts: an absolute
// path (the supervisor may run elsewhere) in a directory that exists.
func checkResultFile(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("--result-file %s: its directory %s does not exist", p, filepath.Dir(abs))
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return "", fmt.Errorf("--result-file %s: is a directory", p)
	}
	return abs, nil
}

// DefaultStopTimeout is Kubernetes' default terminationGracePeriodSeconds.
const DefaultStopTimeout = 30 * time.Second

// StopGrace is how long a foreground run's containers get after Ctrl-C.
const StopGrace = 10 * time.Second

// Grace is how long a stop waits between its signal and SIGKILL when the
// caller does not say: the pod's terminationGracePeriodSeconds (a
// manifest's), else DefaultStopTimeout.
func (s *PodSpec) Grace() time.Duration {
	if s.TerminationGrace != nil {
		return *s.TerminationGrace
	}
	return DefaultStopTimeout
}
