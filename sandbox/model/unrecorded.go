package model

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/netsetup"

	"golang.org/x/sys/unix"
)

// The processes of a pod, found by what /proc still proves when its state
// file cannot say (truncated, corrupt, a symbolic link, numbers edited):
// rm -f and gc must end every process of a pod whatever that file holds.
//
//   - The pause names its pod in its argv ("podctl-pause NAME", nsenter.c),
//     and runs as the user who made it: the pod's root is that user.
//   - Every container joined the pause's namespaces; those that are not the
//     caller's own (pid, net, ipc, uts: a pod always has its own ipc and
//     uts) mark the pod's processes, whatever their uid (a container's, in
//     the subordinate range, included). Not the user namespace: pods on
//     the shared network (--network bridge) share its holder's.
//   - The network helper (pasta, slirp4netns) names the pod's directory in
//     its argv[0] (netsetup.HelperArgv0).
//
// Each process is opened as a pidfd and checked again before the signal, so
// a pid recycled between the scan and the kill is never hit.

// podNamespaces are the kinds of namespace that mark a pod's processes.
var podNamespaces = []string{"pid", "net", "ipc", "uts"}

// KillUnrecorded sends SIGKILL to every process of the pod in dir that
// /proc shows, waits (up to 2 s) until they are gone, and returns how many
// it killed.
func KillUnrecorded(dir string) int {
	var killed []int
	defer func() { awaitExits(killed, 2*time.Second) }()
	helpers := map[string]bool{}
	for _, h := range []netsetup.Mode{netsetup.Pasta, netsetup.Slirp} {
		helpers[netsetup.HelperArgv0(h.Helper(), dir)] = true
	}
	isHelper := func(pid int) bool {
		args := cmdline(pid)
		return len(args) > 0 && helpers[args[0]]
	}
	for _, pid := range procPIDs() {
		if isHelper(pid) {
			if fd, ok := signalIf(pid, isHelper); ok {
				killed = append(killed, fd)
			}
		}
	}
	pauses := findPauses(filepath.Base(dir))
	if len(pauses) == 0 {
		return len(killed)
	}
	own := nsInodes(os.Getpid())
	marks := map[string]bool{} // "net:4026532183", as readlink shows a namespace
	for _, pid := range pauses {
		for kind, ino := range nsInodes(pid) {
			if ino != own[kind] {
				marks[kind+":["+ino+"]"] = true
			}
		}
	}
	inPod := func(pid int) bool { return inNamespaces(pid, marks) }
	for _, pid := range procPIDs() {
		if pid != os.Getpid() && inPod(pid) {
			if fd, ok := signalIf(pid, inPod); ok {
				killed = append(killed, fd)
			}
		}
	}
	return len(killed)
}

// signalIf opens pid as a pidfd and, if it is still what is(pid) says
// (the pid was not recycled between the look and the open), sends it
// SIGKILL; it returns the pidfd to wait on.
func signalIf(pid int, is func(int) bool) (int, bool) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, false
	}
	if is(pid) && unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil {
		return fd, true
	}
	unix.Close(fd)
	return -1, false
}

// cmdline reads the arguments of pid (/proc/PID/cmdline, readable for any
// process, proc(5)).
func cmdline(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// findPauses returns the pids of the caller's processes that are the pause
// of pod name.
func findPauses(name string) []int {
	var out []int
	uid := os.Geteuid()
	for _, pid := range procPIDs() {
		fi, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
		if err != nil {
			continue
		}
		if owner, ok := statOwner(fi); !ok || owner != uid {
			continue
		}
		if args := cmdline(pid); len(args) == 2 && args[0] == "podctl-pause" && args[1] == name {
			out = append(out, pid)
		}
	}
	return out
}

// inNamespaces tells whether pid is in one of the marked namespaces.
func inNamespaces(pid int, marks map[string]bool) bool {
	for _, kind := range podNamespaces {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind)); err == nil && marks[l] {
			return true
		}
	}
	return false
}

// nsInodes reads the namespaces of pid that mark a pod: kind -> inode.
func nsInodes(pid int) map[string]string {
	out := map[string]string{}
	for _, kind := range podNamespaces {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err != nil {
			continue
		}
		// "net:[4026532183]"
		if ino, ok := strings.CutPrefix(l, kind+":["); ok {
			out[kind] = strings.TrimSuffix(ino, "]")
		}
	}
	return out
}

// procPIDs lists the processes in /proc.
func procPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// awaitExits waits until every pidfd in fds reports its process's exit
// (poll(2) POLLIN), or timeout passes, and closes them. A process killed
// here is not our child: its parent (init, or a subreaper) reaps it.
func awaitExits(fds []int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, fd := range fds {
		for {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, err := unix.Poll(pfd, int(left/time.Millisecond)+1); n == 1 || err != nil && err != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
	}
}
