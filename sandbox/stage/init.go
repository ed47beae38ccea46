package stage

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/rootfs"
	"github.com/podctl/podctl/sandbox/model"
)

// Encode is the init's plan as the message that carries it (Plan, then
// nsenter's encoding), made once: a pod's supervisor makes it while the
// pod's ids are being mapped (sandbox/supervisor/launch.go, planRun), and
// the join conversation sends it.
func (cfg *InitConfig) Encode() ([]byte, error) {
	if cfg.encoded == nil {
		plan, err := cfg.Plan()
		if err != nil {
			return nil, err
		}
		if cfg.encoded, err = plan.Encode(); err != nil {
			return nil, err
		}
	}
	return cfg.encoded, nil
}

// Plan turns cfg into what the container's init carries out (nsenter's
// InitPlan, run by nsenter/init.c with no Go runtime): every decision is
// made here, on the host; the init only resolves paths inside the rootfs
// and the user in the container's /etc, which it alone can see.
func (cfg *InitConfig) Plan() (*nsenter.InitPlan, error) {
	where := fmt.Sprintf("container %s of pod %s", cfg.Container, cfg.Pod)
	userPart, groupPart, err := model.ParseUserSpec(cfg.User)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	p := &nsenter.InitPlan{
		UserSpec: cfg.User, UserPart: userPart, GroupPart: groupPart,
		IDsMapped: cfg.IDsMapped, RunAsNonRoot: cfg.RunAsNonRoot,
		Tty: cfg.Tty, Exec: cfg.Exec, Cwd: cfg.Cwd, Args: cfg.Args,
		Privileged: cfg.Privileged, Setgroups: cfg.Setgroups,
		Groups: cfg.Groups, GroupsStrict: cfg.GroupsStrict, NoNewPrivsOff: cfg.NoNewPrivsOff,
		Seccomp: cfg.Seccomp, SeccompNotify: cfg.SeccompNotify,
	}
	if len(cfg.Groups) > 0 && !cfg.Setgroups {
		return nil, fmt.Errorf("%s: supplementary groups %v: the pod's user namespace maps a single id, where setgroups(2) is denied; give your user subordinate ids in /etc/subgid", where, cfg.Groups)
	}
	p.Env, p.HomeAt = buildEnv(cfg)
	if !cfg.Privileged {
		for c, name := range model.CapNames {
			if slices.Contains(cfg.Caps, name) {
				p.Caps |= 1 << c
			}
		}
		p.CapNames, p.LastCap = strings.Join(cfg.Caps, " "), lastCap()
	}
	// podctl exec joins the container's mount namespace, whose root is
	// the container's already; a new container builds its root first.
	if !cfg.Exec {
		root := cfg.Rootfs
		var layers []rootfs.Step
		if l := cfg.Layer; l != nil {
			where += " (image " + l.ImageName + ")"
			root = l.Root.Target
			layers = append(layers, layerStep(l))
		}
		var vols []rootfs.ImageVolume
		for _, v := range cfg.ImageVolumes {
			if v.Layer == nil {
				return nil, fmt.Errorf("%s: image volume %s on %s has no layer", where, v.Image, v.Target)
			}
			layers = append(layers, layerStep(v.Layer))
			vols = append(vols, rootfs.ImageVolume{Root: v.Layer.Root.Target, SubPath: v.SubPath, Target: v.Target})
		}
		spec := rootfs.Spec{Root: root, Files: cfg.Files, PtsGID: cfg.PtsGID, Unmasked: cfg.Privileged,
			Mounts: cfg.Mounts, ReadOnly: cfg.ReadOnly, Cwd: cfg.Cwd, CgroupV2: cgroupV2(), HostIPC: cfg.HostIPC, HostMqueue: cfg.HostIPC && rootfs.HostMqueue(), HostPID: cfg.HostPID,
			MaskedPaths: cfg.MaskedPaths, ReadonlyPaths: cfg.ReadonlyPaths, ImageVolumes: vols}
		if cfg.ReadOnly && !cfg.ReadOnlyBare {
			spec.Mounts = readOnlyMounts(cfg.Mounts)
		}
		steps, err := rootfs.Plan(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if len(layers) > 0 {
			// The layers are mounted first, in the private mount
			// namespace: the root's, then the image volumes'.
			steps = append(steps[:1], append(layers, steps[1:]...)...)
		}
		for _, s := range steps {
			p.Steps = append(p.Steps, s)
		}
	}
	p.Where = where
	return p, nil
}

// layerStep mounts a layer of the image store as the store helper
// mounted it (nsenter/init.c, step_layer).
func layerStep(l *images.Prepared) rootfs.Step {
	return rootfs.Step{"layer", l.ImageName, l.Root.Source, l.Root.Target, l.Root.FSType,
		strconv.FormatUint(uint64(l.Root.Flags), 10), l.Root.Data, l.Root.Dir, volatileMarker(l.Root.Data)}
}

// volatileMarker is the directory a volatile overlay (fsync=volatile)
// leaves in its workdir when unmounted, which the kernel refuses to mount
// over again (overlayfs.rst, "Volatile mount"): the init removes it
// before it mounts the layer that the store helper mounted, and unmounted,
// without writing through it. "" for any other layer.
func volatileMarker(data string) string {
	opts := "," + data + ","
	if !strings.Contains(opts, ",fsync=volatile,") && !strings.Contains(opts, ",volatile,") {
		return ""
	}
	for _, o := range strings.Split(data, ",") {
		if w, ok := strings.CutPrefix(o, "workdir="); ok {
			return filepath.Join(w, "work", "incompat", "volatile")
		}
	}
	return ""
}

// lastCap is the highest capability this kernel knows (read once).
var lastCap = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && n < 64 {
		return n
	}
	return len(model.CapNames) - 1
})

// cgroupV2 is whether the host's /sys/fs/cgroup is cgroup2 (asked once).
var cgroupV2 = sync.OnceValue(rootfs.CgroupV2Host)

// defaultPath is what Docker and podman give a container without PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildEnv: the defaults a container gets, then -e values over them. The
// default HOME is the resolved user's, which only the init knows: its
// index is returned (-1 once -e HOME= replaced it).
func buildEnv(cfg *InitConfig) ([]string, int) {
	env := []string{
		"PATH=" + defaultPath,
		"HOSTNAME=" + cfg.Hostname,
		"HOME=",
		"container=podctl",
	}
	homeAt := 2
	for _, kv := range cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if strings.HasPrefix(old, k+"=") {
				env[i], replaced = kv, true
				if i == homeAt {
					homeAt = -1
				}
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env, homeAt
}

// readOnlyMounts are the writable places of a --read-only container, as
// podman's --read-only-tmpfs gives them, unless the user mounts something
// there.
func readOnlyMounts(user []rootfs.Mount) []rootfs.Mount {
	taken := map[string]bool{}
	for _, m := range user {
		taken[m.Target] = true
	}
	var out []rootfs.Mount
	for _, p := range []string{"/tmp", "/var/tmp", "/run"} {
		if !taken[p] {
			out = append(out, rootfs.Mount{Type: "tmpfs", Target: p, Options: "size=65536k"})
		}
	}
	return append(out, user...)
}
