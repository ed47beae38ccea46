package vm

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// podctlFiles are the files of PODCTL_VM_BIN the VM gets, in /opt/podctl;
// optionalFiles go there too when PODCTL_VM_BIN has them: a kubelet
// (make kubelet) and the kube-proxy example's binary, for
// TestCgroupV2Kubelet.
var (
	podctlFiles   = []string{"podctl", "podctl-net", "podctl-store", "podctl-image", "podctl-kube", "podctl-cri", "crictl", "e2e.test", "nettool"}
	optionalFiles = []string{"kubelet", "webproxy"}
)

// hostTools are the host's programs the VM gets in /usr/bin, with their
// modes: podctl maps subordinate ids with newuidmap and newgidmap, setuid
// root as the uidmap package installs them; the e2e suite runs
// util-linux's unshare (busybox's has no --map-user) from sh -c scripts,
// and its nsenter (busybox's has no --preserve-credentials: the kubelet
// test enters the shared network with it), and sh is Debian's, dash: busybox's sh runs its own applets first,
// whatever PATH says. pasta and slirp4netns are the network helpers of
// --network pasta and slirp4netns, whose cgroup (the pod's _net leaf) the
// cgroup tests check.
var hostTools = map[string]uint32{"newuidmap": 0o4755, "newgidmap": 0o4755, "unshare": 0o755, "nsenter": 0o755, "dash": 0o755,
	"pasta": 0o755, "slirp4netns": 0o755}

var hostToolPkg = map[string]string{"newuidmap": "uidmap", "newgidmap": "uidmap", "unshare": "util-linux", "nsenter": "util-linux", "dash": "dash",
	"pasta": "passt", "slirp4netns": "slirp4netns"}

// etcFiles are the VM's /etc: the test user with a subordinate id range
// (as useradd gives one, shadow's subuid(5)), the tty group devpts uses,
// and name lookups from files only.
var etcFiles = map[string]string{
	"passwd": "root:x:0:0:root:/root:/bin/sh\n" +
		fmt.Sprintf("%s:x:%d:%d:podctl test user:%s:/bin/sh\n", vmconf.User, vmconf.UID, vmconf.GID, vmconf.Home) +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	"group":         "root:x:0:\ntty:x:5:\n" + fmt.Sprintf("%s:x:%d:\n", vmconf.User, vmconf.GID) + "nogroup:x:65534:\n",
	"subuid":        vmconf.User + ":100000:65536\n",
	"subgid":        vmconf.User + ":100000:65536\n",
	"hostname":      "podctl-vm\n",
	"hosts":         "127.0.0.1\tlocalhost podctl-vm\n::1\tlocalhost\n",
	"nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
}

const policyJSON = "/etc/containers/policy.json"

// guestInputs are the host files the initramfs is made of.
type guestInputs struct {
	bin     string            // PODCTL_VM_BIN
	init    string            // the compiled init
	rootfs  string            // the e2e suite's rootfs
	modules map[string]string // kernel modules: the host file of each path in the VM
	cfg     vmconf.Config
}

// guestTree lays out the VM's initramfs. Only what the tests use goes in:
// it is unpacked, then copied once more by the init, under emulation.
func guestTree(in guestInputs) (tree, error) {
	t := tree{}
	for d, perm := range map[string]uint32{"/dev": 0o755, "/proc": 0o555, "/sys": 0o555, "/run": 0o755,
		"/tmp": 0o1777, "/var/tmp": 0o1777, "/root": 0o700, "/usr/local/bin": 0o755, "/sbin": 0o755, "/usr/sbin": 0o755} {
		t.dir(d, perm, 0, 0)
	}
	t.dir(vmconf.Home, 0o755, vmconf.UID, vmconf.GID)
	// The console the kernel opens as the init's stdin, stdout and
	// stderr before devtmpfs is mounted.
	t.charDev("/dev/console", 0o600, 5, 1)
	t.file("/init", in.init, 0o755, 0, 0)
	var exes []string
	// busybox, with a link per applet, for the tests that shell out and
	// for debugging.
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return nil, fmt.Errorf("busybox not found (apt-get install busybox-static): %w", err)
	}
	t.file("/bin/busybox", bb, 0o755, 0, 0)
	exes = append(exes, bb)
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet != "busybox" {
			t.symlink("/bin/"+applet, "busybox")
		}
	}
	for name, perm := range hostTools {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("%s not found (apt-get install %s): %w", name, hostToolPkg[name], err)
		}
		t.file("/usr/bin/"+name, p, perm, 0, 0)
		exes = append(exes, p)
	}
	t.symlink("/bin/sh", "/usr/bin/dash")
	for _, name := range append(append([]string{}, podctlFiles...), optionalFiles...) {
		p := filepath.Join(in.bin, name)
		if _, err := os.Stat(p); err != nil && slices.Contains(optionalFiles, name) {
			continue
		}
		t.file("/opt/podctl/"+name, p, 0o755, 0, 0)
		exes = append(exes, p)
	}
	// Each library at the path the host's loader finds it: the same
	// loader, with the same search path, looks for it there in the VM.
	for _, exe := range exes {
		libs, err := sharedLibs(exe)
		if err != nil {
			return nil, err
		}
		for _, lib := range libs {
			fi, err := os.Stat(lib)
			if err != nil {
				return nil, err
			}
			t.file(lib, lib, unixPerm(fi.Mode()), 0, 0)
		}
	}
	for name, content := range etcFiles {
		t.data("/etc/"+name, []byte(content), 0o644)
	}
	// The image signature policy (containers-common's), without which
	// podctl's image commands refuse to run, as on a host without it.
	if _, err := os.Stat(policyJSON); err == nil {
		t.file(policyJSON, policyJSON, 0o644, 0, 0)
	}
	for vmPath, host := range in.modules {
		t.file(vmPath, host, 0o644, 0, 0)
	}
	// The container rootfs, the test user's: podctl maps that user to
	// root in its containers, so their root owns their files, as when
	// the user builds the rootfs (the rootless e2e run on the host).
	if err := t.hostTree("/opt/rootfs", in.rootfs, vmconf.UID, vmconf.GID); err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(in.cfg)
	if err != nil {
		return nil, err
	}
	t.data(vmconf.Path, cfg, 0o644)
	return t, nil
}
