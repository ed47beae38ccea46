package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"golang.org/x/sys/unix"
)

// Check is one finding of podctl doctor.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // "ok", "warn" (podctl works, with less) or "fail" (pods cannot run)
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Doctor checks what podctl needs from this machine and this user, and
// says for each problem how to fix it: what a CI runner must allow, what a
// laptop lacks.
func Doctor() []Check {
	var out []Check
	add := func(name, status, detail, fix string) {
		out = append(out, Check{Name: name, Status: status, Detail: detail, Fix: fix})
	}

	var u unix.Utsname
	unix.Uname(&u)
	release := unix.ByteSliceToString(u.Release[:])
	if kernelAtLeast(release, 5, 12) {
		add("kernel", "ok", "Linux "+release, "")
	} else {
		add("kernel", "fail", "Linux "+release+": podctl needs 5.12 (setns on a pidfd, open_tree and mount_setattr, close_range, openat2)", "run on a newer kernel")
	}

	// Our own state: things a container runner may impose on us.
	status := idmap.ProcStatus()
	if status["NoNewPrivs"] == "1" {
		add("no_new_privs", "warn", "this process runs with no_new_privs (a container runtime's, or a sandbox's): the setuid newuidmap cannot gain its privileges, so pods map only your own uid",
			"run the job without no-new-privileges (docker/podman: no --security-opt no-new-privileges)")
	} else {
		add("no_new_privs", "ok", "not set: newuidmap can work", "")
	}
	if status["Seccomp"] == "2" {
		add("seccomp", "warn", "a seccomp filter is applied to podctl itself (a container runtime's): it may forbid unshare and mount (see the user namespace check)",
			"allow unshare, setns, mount, pivot_root and open_tree in the runner's profile, or run the job unconfined (inside a podctl pod: make the outer pod --privileged)")
	}

	// User namespaces: try one, the real test.
	// (The clone itself is the test: what runs in it does not matter.)
	cmd := exec.Command("/proc/self/exe", "help")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}}
	err := cmd.Start()
	if err == nil {
		cmd.Wait()
	}
	if err != nil {
		max, _ := os.ReadFile("/proc/sys/user/max_user_namespaces")
		add("user namespaces", "fail", fmt.Sprintf("creating one failed: %v (user.max_user_namespaces = %s)", err, strings.TrimSpace(string(max))),
			"sysctl user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 where it exists); in a container runner, allow unshare(CLONE_NEWUSER) (its seccomp profile, or AppArmor's userns restriction); inside a podctl pod, make the outer pod --privileged")
	} else {
		add("user namespaces", "ok", "an unprivileged process may create one", "")
	}

	ids := idmap.Detect()
	switch {
	case os.Getuid() == 0:
		add("id mapping", "ok", "root: pods map every id to itself", "")
	case ids.Helpers:
		add("id mapping", "ok", fmt.Sprintf("pod ids 0..%d: uid_map %s (newuidmap and newgidmap)", ids.Size()-1, idmap.FormatRanges(ids.UIDs)), "")
	default:
		add("id mapping", "warn", ids.Notice+"; images whose files belong to other users cannot be unpacked", "")
	}

	// cgroups: v2 with delegated controllers, or pods without limits.
	d, err := cgroups.Find()
	var cu *cgroups.Unavailable
	switch {
	case errors.As(err, &cu):
		add("cgroups", "warn", cu.Reason+": pods run without limits, and --memory, --cpus and --pids-limit are refused", cu.Fix)
	case err != nil:
		add("cgroups", "warn", err.Error(), "")
	default:
		missing := d.Missing(cgroups.Known)
		if missing == "" {
			add("cgroups", "ok", fmt.Sprintf("cgroup v2, delegated at %s: %s", d.Path, strings.Join(d.Controllers, " ")), "")
		} else {
			add("cgroups", "warn", fmt.Sprintf("cgroup v2, delegated at %s: %s; no %s controller, so the limits that need it are refused", d.Path, strings.Join(d.Controllers, " "), missing),
				"with systemd: /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and log in again")
		}
	}

	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		start := strings.TrimSpace(string(b))
		if n, _ := strconv.Atoi(start); n > 0 && os.Getuid() != 0 {
			add("unprivileged ports", "ok", "host ports below "+start+" cannot be published rootless", "sysctl net.ipv4.ip_unprivileged_port_start=80 to publish port 80")
		} else {
			add("unprivileged ports", "ok", "any host port may be published", "")
		}
	}

	var missing []string
	for _, p := range []string{"pasta", "slirp4netns"} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	def := netsetup.Default()
	switch len(missing) {
	case 0:
		add("network helpers", "ok", "pasta and slirp4netns are installed; pods use pasta unless --network says otherwise", "")
	case 1:
		add("network helpers", "ok", missing[0]+" not found; pods use "+string(def), "apt-get install passt slirp4netns")
	default:
		add("network helpers", "warn", "neither pasta nor slirp4netns is installed: pods get loopback only (--network none)", "apt-get install passt (or slirp4netns)")
	}
	// Both helpers open /dev/net/tun inside the pod's namespaces, as you.
	if len(missing) < 2 && os.Getuid() != 0 {
		if err := unix.Access("/dev/net/tun", unix.R_OK|unix.W_OK); err != nil {
			add("/dev/net/tun", "fail", fmt.Sprintf("%v: pasta and slirp4netns cannot make a pod's tap device, so pods can only use --network none or host", err),
				"as root: chmod 0666 /dev/net/tun (Debian's udev rule does this; a machine without udev leaves it 0600)")
		} else {
			add("/dev/net/tun", "ok", "readable and writable: helpers can make a pod's tap device", "")
		}
	}

	for _, b := range []string{images.StoreBinary, images.TransportBinary} {
		if p, err := images.Binary(b); err == nil {
			add(b, "ok", p, "")
		} else {
			add(b, "warn", err.Error()+": no images, only --rootfs", "make build, and install it beside podctl")
		}
	}
	if p, err := images.Binary(netsetup.NetBinary); err == nil {
		add(netsetup.NetBinary, "ok", p, "")
	} else {
		add(netsetup.NetBinary, "warn", err.Error()+": no httpGet or tcpSocket probes and hooks, no --network bridge, no published ports of bridge pods", "make build, and install it beside podctl")
	}
	if _, err := os.Stat("/etc/containers/policy.json"); err != nil {
		home, _ := os.UserHomeDir()
		if _, err := os.Stat(filepath.Join(home, ".config/containers/policy.json")); err != nil {
			add("image policy", "warn", "no /etc/containers/policy.json: pull and load refuse to run", "apt-get install containers-common")
		}
	}

	if root, err := model.StateRoot(); err != nil {
		add("state directory", "fail", err.Error(), "set XDG_RUNTIME_DIR to a private directory of yours (0700), as a login session does")
	} else if err := os.MkdirAll(root, 0o700); err != nil {
		add("state directory", "fail", fmt.Sprintf("%s: %v", root, model.UnwrapPath(err)), "set XDG_RUNTIME_DIR to a writable private directory")
	} else {
		add("state directory", "ok", root, "")
	}
	return out
}

// kernelAtLeast compares a release string such as 6.18.44-foo.
func kernelAtLeast(release string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(release, "%d.%d", &a, &b); err != nil {
		return false
	}
	return a > major || a == major && b >= minor
}
