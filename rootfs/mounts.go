package rootfs

import (
	"golang.org/x/sys/unix"
)

// Mount is a mount the user asked for: -v HOST:CTR[:ro] (a bind mount) or
// --tmpfs PATH[:OPTIONS].
type Mount struct {
	Type     string `json:"type"`             // "bind" or "tmpfs"
	Source   string `json:"source,omitempty"` // bind: an absolute host path without symlinks (podctl resolved them)
	Volume   string `json:"volume,omitempty"` // bind: the named volume Source is the directory of
	Target   string `json:"target"`           // inside the container
	ReadOnly bool   `json:"readOnly,omitempty"`
	// ReadOnlyTop: ReadOnly is for this mount only, and the mounts under
	// its source stay as they are (a CRI mount without
	// recursive_read_only); podctl's own :ro is recursive, so that no
	// submount of a read-only volume is a way to write to it.
	ReadOnlyTop bool   `json:"readOnlyTop,omitempty"`
	Options     string `json:"options,omitempty"` // tmpfs: size=64m,mode=1777, ...
	// PodVolume and SubPath: a volume of a pod made from a manifest (and a
	// path in it); podctl resolves them into Source before the pod starts.
	PodVolume string `json:"podVolume,omitempty"`
	SubPath   string `json:"subPath,omitempty"`
	// Propagation of a bind mount (mount_namespaces(7)): "" private, as
	// every podctl volume is; "rslave", mounts made later under the
	// source arrive in the container (the CRI's HostToContainer);
	// "rshared", and the container's own mounts there go back (its
	// Bidirectional), which needs the container's mount namespace copied
	// from one of the same user namespace as the source's (a CRI pod on
	// the shared network: PodSpec.NodeMounts).
	Propagation string `json:"propagation,omitempty"`
}

// Propagations of Mount.Propagation, and what the init's "volume" step
// calls them.
const (
	PropagationSlave  = "rslave"
	PropagationShared = "rshared"
)

// step is the init's operation for m. A bind mount ("volume") is made
// race-free on both sides (CVE-2019-16884, CVE-2021-30465 were races on
// such paths): the init opens the source with RESOLVE_NO_SYMLINKS (podctl
// resolved its symlinks when the user named it, so one there now was put
// there since), clones the mount from that very descriptor (open_tree(2)),
// makes the detached copy read-only when asked (mount_setattr(2)), and
// moves it onto a target resolved inside the rootfs (move_mount(2)). A
// tmpfs is a fresh one, mode 1777 unless the options say otherwise.
func (m Mount) step() Step {
	if m.Type == "tmpfs" {
		data := "mode=1777"
		if m.Options != "" {
			data += "," + m.Options
		}
		flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		return mountStep(m.Target, "tmpfs", "tmpfs", flags, data, "a filesystem of its own")
	}
	ro := "0"
	switch {
	case m.ReadOnly && m.ReadOnlyTop:
		ro = "top"
	case m.ReadOnly:
		ro = "1"
	}
	prop := map[string]string{PropagationSlave: "slave", PropagationShared: "shared"}[m.Propagation]
	return Step{"volume", m.Source, clean(m.Target), ro, prop}
}
