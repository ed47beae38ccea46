package model

import (
	"path"
	"strings"
	"testing"
)

// FuzzParseVolume: -v and --tmpfs never panic, and whatever they accept
// mounts on an absolute, clean path outside /proc and /sys, never on /.
func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"/tmp:/w", "/tmp:/w:ro", ".:/x:rw", "/tmp:/proc/x", "a:b", "/tmp:/../..", "/t:size=1m,ro",
		"type=bind,source=/tmp,target=/w,readonly", "type=tmpfs,target=/t,tmpfs-size=1m", "type=volume,src=v,dst=/v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		check := func(what, target string) {
			if !strings.HasPrefix(target, "/") || path.Clean(target) != target || target == "/" ||
				target == "/proc" || strings.HasPrefix(target, "/proc/") || target == "/sys" || strings.HasPrefix(target, "/sys/") {
				t.Fatalf("%s %q accepted with target %q", what, spec, target)
			}
		}
		if m, err := ParseVolume(spec); err == nil {
			check("-v", m.Target)
			if m.Volume != "" {
				if ValidateName("volume", m.Volume) != nil || m.Source != "" {
					t.Fatalf("-v %q: volume %q, source %q", spec, m.Volume, m.Source)
				}
			} else if !strings.HasPrefix(m.Source, "/") {
				t.Fatalf("-v %q: source %q is not absolute", spec, m.Source)
			}
		}
		if m, err := ParseMount(spec); err == nil {
			check("--mount", m.Target)
		}
		if m, err := ParseTmpfs(spec); err == nil {
			check("--tmpfs", m.Target)
			if strings.ContainsAny(m.Options, " \t\n") {
				t.Fatalf("--tmpfs %q: options %q", spec, m.Options)
			}
		}
	})
}

// Found by FuzzParseVolume: --tmpfs values are checked, not left for the
// kernel to refuse at start.
func TestTmpfsValues(t *testing.T) {
	for spec, ok := range map[string]bool{
		"/t:size=64m": true, "/t:size=50%": true, "/t:mode=1777": true, "/t:nr_inodes=10k": true, "/t:uid=1000,gid=1000": true,
		"/t:size=n0": false, "/t:size=": false, "/t:size=1mm": false, "/t:mode=999": false, "/t:uid=-1": false, "/t:size=5%m": false,
	} {
		if _, err := ParseTmpfs(spec); (err == nil) != ok {
			t.Errorf("ParseTmpfs(%q): %v, want ok=%v", spec, err, ok)
		}
	}
}
