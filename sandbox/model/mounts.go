package model

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/podctl/podctl/rootfs"
)

// ParseVolume reads -v HOST:CTR[:ro|rw] (docker's and podman's syntax). The
// host path may be relative to the working directory (./...) or the name of
// a named volume (made if missing); its symlinks are resolved here, once,
// so that the init can refuse any symlink it meets on the way later
// (rootfs.bindVolume).
func ParseVolume(spec string) (rootfs.Mount, error) {
	bad := func(why string) (rootfs.Mount, error) {
		return rootfs.Mount{}, fmt.Errorf("--volume %q: %s; use HOST-PATH:CONTAINER-PATH[:ro|rw], e.g. -v $PWD:/work:ro", spec, why)
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad("expected two or three parts separated by ':'")
	}
	m := rootfs.Mount{Type: "bind", Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro":
				m.ReadOnly = true
			case "rw":
				m.ReadOnly = false
			default:
				return bad(fmt.Sprintf("option %q: podctl knows ro and rw", o))
			}
		}
	}
	if m.Source == "" {
		return bad("the host path is empty")
	}
	if !strings.HasPrefix(m.Source, "/") && !strings.HasPrefix(m.Source, ".") {
		// A named volume: made on first use, as docker does, when the
		// container is validated (checkMounts).
		if err := ValidateName("volume", m.Source); err != nil {
			return bad(err.Error())
		}
		m.Volume, m.Source = m.Source, ""
		var err error
		if m.Target, err = containerPath(m.Target); err != nil {
			return bad(err.Error())
		}
		return m, nil
	}
	abs, err := filepath.Abs(m.Source)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return bad(fmt.Sprintf("the host path: %v", UnwrapPath(err)))
	}
	m.Source = abs
	if m.Target, err = containerPath(m.Target); err != nil {
		return bad(err.Error())
	}
	return m, nil
}

// ParseTmpfs reads --tmpfs PATH[:OPTIONS] (OPTIONS as mount -t tmpfs takes
// them: size=64m,mode=1777,...; ro for a read-only one).
func ParseTmpfs(spec string) (rootfs.Mount, error) {
	target, opts, _ := strings.Cut(spec, ":")
	t, err := containerPath(target)
	if err != nil {
		return rootfs.Mount{}, fmt.Errorf("--tmpfs %q: %v", spec, err)
	}
	m := rootfs.Mount{Type: "tmpfs", Target: t}
	var keep []string
	for _, o := range strings.Split(opts, ",") {
		switch {
		case o == "":
		case o == "ro":
			m.ReadOnly = true
		case o == "rw":
		case strings.HasPrefix(o, "size="), strings.HasPrefix(o, "mode="), strings.HasPrefix(o, "nr_inodes="),
			strings.HasPrefix(o, "uid="), strings.HasPrefix(o, "gid="):
			if k, v, _ := strings.Cut(o, "="); !tmpfsValue(k, v) {
				return rootfs.Mount{}, fmt.Errorf("--tmpfs %q: option %q: size and nr_inodes take a number with k, m or g (size also %%), mode an octal number, uid and gid a number", spec, o)
			}
			keep = append(keep, o)
		default:
			return rootfs.Mount{}, fmt.Errorf("--tmpfs %q: option %q: podctl knows size=, mode=, nr_inodes=, uid=, gid=, ro and rw", spec, o)
		}
	}
	m.Options = strings.Join(keep, ",")
	return m, nil
}

// tmpfsValue checks the value of a tmpfs option (tmpfs(5)).
func tmpfsValue(key, v string) bool {
	digits := func(s string, base8 bool) bool {
		if s == "" || len(s) > 19 {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' || base8 && s[i] > '7' {
				return false
			}
		}
		return true
	}
	switch key {
	case "size", "nr_inodes":
		n := strings.TrimRight(v, "kmgKMG")
		if key == "size" && len(n) == len(v) {
			n = strings.TrimSuffix(v, "%")
		}
		return len(v)-len(n) <= 1 && digits(n, false)
	case "mode":
		return len(v) <= 4 && digits(v, true)
	}
	return digits(v, false)
}

// containerPath checks a mount target: absolute, not the root, and not in
// /proc or /sys, where a mount could undo the masked and read-only paths.
func containerPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("the container path %q must be absolute", p)
	}
	c := path.Clean(p)
	if c == "/" {
		return "", fmt.Errorf("the container path cannot be / (the root comes from the image or --rootfs)")
	}
	for _, no := range []string{"/proc", "/sys"} {
		if c == no || strings.HasPrefix(c, no+"/") {
			return "", fmt.Errorf("the container path %s is in %s, which podctl mounts and masks itself", c, no)
		}
	}
	return c, nil
}

// checkMounts checks the targets of a container's mounts for duplicates,
// makes the named volumes that do not exist yet, and checks that bind
// sources still exist.
func checkMounts(ms []rootfs.Mount) error {
	seen := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		if m.Volume != "" && m.Source == "" {
			dir, err := CreateVolume(m.Volume, true)
			if err == nil {
				dir, err = filepath.EvalSymlinks(dir)
			}
			if err != nil {
				return fmt.Errorf("--volume %s: %w", m.Volume, err)
			}
			m.Source = dir
		}
		if seen[m.Target] {
			return fmt.Errorf("two mounts on %s", m.Target)
		}
		seen[m.Target] = true
		if m.Type == "bind" {
			if _, err := os.Stat(m.Source); err != nil {
				return fmt.Errorf("--volume %s: %v", m.Source, UnwrapPath(err))
			}
		}
	}
	return nil
}

// ParseMount reads --mount type=bind|volume|tmpfs,... (docker's and
// podman's long form): type=bind,source=HOST,target=CTR[,readonly],
// type=volume,source=NAME,target=CTR[,readonly] or
// type=tmpfs,target=CTR[,tmpfs-size=N][,tmpfs-mode=M].
func ParseMount(spec string) (rootfs.Mount, error) {
	bad := func(why string) (rootfs.Mount, error) {
		return rootfs.Mount{}, fmt.Errorf("--mount %q: %s; e.g. --mount type=bind,source=$PWD,target=/work,readonly", spec, why)
	}
	kv := map[string]string{}
	ro := false
	for _, f := range strings.Split(spec, ",") {
		k, v, hasValue := strings.Cut(f, "=")
		switch {
		case k == "readonly" || k == "ro":
			if hasValue && v != "true" && v != "false" {
				return bad(fmt.Sprintf("%s=%q: true or false", k, v))
			}
			ro = !hasValue || v == "true"
		case !hasValue || v == "":
			return bad(fmt.Sprintf("%q has no value", f))
		case k == "src":
			kv["source"] = v
		case k == "dst" || k == "destination":
			kv["target"] = v
		default:
			if _, dup := kv[k]; dup {
				return bad(fmt.Sprintf("%s given twice", k))
			}
			kv[k] = v
		}
	}
	switch kv["type"] {
	case "bind", "volume":
		for k := range kv {
			if k != "type" && k != "source" && k != "target" {
				return bad(fmt.Sprintf("option %q: a %s mount takes source, target and readonly", k, kv["type"]))
			}
		}
		if kv["type"] == "bind" && (kv["source"] == "" || kv["target"] == "") {
			return bad("a bind mount needs source= and target=")
		}
		if kv["type"] == "volume" && (kv["source"] == "" || kv["target"] == "" || strings.ContainsAny(kv["source"], "/.")) {
			return bad("a volume mount needs source=NAME (a volume name) and target=")
		}
		opt := ""
		if ro {
			opt = ":ro"
		}
		return ParseVolume(kv["source"] + ":" + kv["target"] + opt)
	case "tmpfs":
		var opts []string
		for k, v := range kv {
			switch k {
			case "type", "target":
			case "tmpfs-size":
				opts = append(opts, "size="+v)
			case "tmpfs-mode":
				opts = append(opts, "mode="+v)
			default:
				return bad(fmt.Sprintf("option %q: a tmpfs mount takes target, tmpfs-size, tmpfs-mode and readonly", k))
			}
		}
		if ro {
			opts = append(opts, "ro")
		}
		return ParseTmpfs(kv["target"] + ":" + strings.Join(opts, ","))
	case "":
		return bad("type= is missing")
	}
	return bad(fmt.Sprintf("type %q: podctl knows bind, volume and tmpfs", kv["type"]))
}
