package sandbox

import (
	"bytes"
	"encoding/json"
	"path"
	"strings"
	"testing"
)

// Fuzz targets for what podctl decodes from users, from files it does not
// fully trust, and from its own processes. CI runs each briefly
// (test/run-tests.sh); a crasher found becomes a seed in testdata/fuzz.

// The -u flag: never a panic; what it accepts round-trips.
func FuzzParseUserSpec(f *testing.F) {
	for _, s := range []string{"", "0", "1000:1000", "alice", "alice:wheel", ":", "1000:", "-5", "4294967295", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		u, g, err := ParseUserSpec(spec)
		if err != nil {
			return
		}
		if g == "" && u != spec || g != "" && u+":"+g != spec {
			t.Errorf("ParseUserSpec(%q) = %q, %q", spec, u, g)
		}
	})
}

// -e values and the rest of a container's spec: Validate refuses or
// accepts, never panics; an accepted env entry always has a key.
func FuzzContainerEnv(f *testing.F) {
	for _, s := range []string{"A=b", "=x", "A", "PATH", "A=b=c", " =x", "A\n=b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, kv string) {
		c := ContainerSpec{Name: "fuzz", Rootfs: "/", Args: []string{"true"}, Env: []string{kv}}
		if err := c.Validate(); err != nil {
			return
		}
		if k, _, ok := strings.Cut(c.Env[0], "="); !ok || k == "" {
			t.Errorf("accepted env entry %q", c.Env[0])
		}
	})
}

// A CRI log line, as podctl logs reads it from a file in the pod's
// directory: never a panic; an accepted record has a known stream and tag.
func FuzzParseLogRecord(f *testing.F) {
	for _, s := range []string{"2016-10-06T00:17:09.669794202Z stdout F hello", "2016-10-06T00:17:09Z stderr P ", "x y z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseLogRecord([]byte(line))
		if err != nil {
			return
		}
		if r.Stream != "stdout" && r.Stream != "stderr" {
			t.Errorf("stream %q accepted from %q", r.Stream, line)
		}
	})
}

// The descriptor list the supervisor and its keeper hand each other:
// never a panic; what parses prints back to something that parses the same.
func FuzzKeepSpec(f *testing.F) {
	for _, s := range []string{"lock=3 ctl=4 pause=5 wake=0 c=web,6,7,8,9", "lock=1", "c=a,b", "lock=3 ctl=4 pause=5 wake=99 c=x,-1,-1,-1,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseKeepSpec(s)
		if err != nil {
			return
		}
		k2, err := parseKeepSpec(k.String())
		if err != nil || k2.String() != k.String() {
			t.Errorf("%q -> %q -> %v %v", s, k.String(), k2, err)
		}
	})
}

// The init's messages as they cross the sync socket: a datagram of any
// bytes through a real SOCK_SEQPACKET pair and recvJSON either gives an
// error naming the peer, or a message whose encoding is stable (what podctl
// sends on is what it decoded; an empty list may come back as none).
func FuzzInitMsg(f *testing.F) {
	f.Add([]byte(`{"type":"config","config":{"pod":"p","container":"c","args":["true"],"caps":["KILL"],"seccomp":"AAAA"}}`))
	f.Add([]byte(`{"type":"error","error":"x","exitCode":127}`))
	f.Add([]byte(`{"type":"pty"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b) > maxMsg {
			return // an empty datagram reads as end-of-file; a longer one cannot be sent
		}
		ours, theirs, err := newSyncPair("the fuzzer")
		if err != nil {
			t.Fatal(err)
		}
		defer ours.Close()
		defer theirs.Close()
		if _, err := theirs.Write(b); err != nil {
			t.Fatal(err)
		}
		m, err := ours.recvJSON()
		if err != nil {
			if !strings.Contains(err.Error(), "the fuzzer") {
				t.Errorf("error without the peer's name: %v", err)
			}
			return
		}
		again, _ := json.Marshal(m)
		var m2 initMsg
		err = json.Unmarshal(again, &m2)
		twice, _ := json.Marshal(m2)
		if err != nil || !bytes.Equal(again, twice) {
			t.Errorf("%q decodes to %+v, which re-encodes to %q, then %q (%v)", b, m, again, twice, err)
		}
	})
}

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
