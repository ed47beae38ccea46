package podnet

import (
	"errors"
	"fmt"
	"os"

	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
)

// NodeMounts opens the mount namespace of the shared network's holder:
// for a rootless CRI server, the node's, where the kubelet's hostPath
// volumes are and where a Bidirectional volume's mounts go back to (the
// holder made it shared: nsenter.c, stage_netns). A container of a pod
// with PodSpec.NodeMounts is made as a copy of it. The holder keeps it as
// long as a pod on the network lives, this pod included; under the shared
// network's lock the holder is checked to be the one recorded. A holder
// of an older podctl, still in the host's mount namespace, has none to
// give: the error says so.
func NodeMounts() (*os.File, error) {
	var f *os.File
	err := withHolder(func(holder model.ProcRef, pidfd int) error {
		mnt, err := os.Open(fmt.Sprintf("/proc/%d/ns/mnt", holder.PID))
		if err != nil {
			return err
		}
		// Opened after the pidfd: if it is still the recorded holder
		// now, the file is its namespace's.
		if !holder.Alive() {
			mnt.Close()
			return errors.New("the shared network's holder died")
		}
		var theirs, ours unix.Stat_t
		if unix.Fstat(int(mnt.Fd()), &theirs) != nil || unix.Stat("/proc/self/ns/mnt", &ours) != nil || theirs.Ino == ours.Ino {
			mnt.Close()
			return errors.New("the shared network's holder has no mount namespace of its own (started by an older podctl: it ends with the last pod on the network)")
		}
		f = mnt
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the node's mount namespace: %w", err)
	}
	return f, nil
}

// SharedNamespaces opens the user and network namespaces of the shared
// network's holder, which must be running (a pod on it keeps it): where a
// rootless CRI server runs its CNI plugins.
func SharedNamespaces() (user, net *os.File, err error) {
	err = withHolder(func(holder model.ProcRef, pidfd int) error {
		if user, err = netsetup.OpenNamespace(holder.PID, pidfd, "user"); err != nil {
			return err
		}
		if net, err = netsetup.OpenNamespace(holder.PID, pidfd, "net"); err != nil {
			user.Close()
			return err
		}
		return nil
	})
	return user, net, err
}

// withHolder runs fn, under the shared network's lock, with its running
// holder and a pidfd of it (open while fn runs).
func withHolder(fn func(holder model.ProcRef, pidfd int) error) error {
	return withSharedNetwork(func(dir string) error {
		n, ok := readSharedNetwork(dir)
		if !ok {
			return errors.New("the shared network is not running (it runs while a pod on it does)")
		}
		pidfd, err := unix.PidfdOpen(n.Holder.PID, 0)
		if err != nil {
			return err
		}
		defer unix.Close(pidfd)
		return fn(n.Holder, pidfd)
	})
}
