package netsetup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// EnvProbe, set for the ports stage instead of EnvForward, makes it run one
// network probe from inside the pod (a Kubernetes tcpSocket or httpGet
// probe, or an httpGet lifecycle hook): "tcp HOST:PORT" or
// "http[s] HOST:PORT PATH [NAME:VALUE...]". Inside, because the pod's
// loopback is only the pod's: podctl cannot setns into a network namespace
// its user namespace does not own (setns(2) asks CAP_SYS_ADMIN in both),
// so the stage's C constructor joins the user namespace first, as it does
// for the forwarder.
const EnvProbe = "_PODCTL_PROBE"

// NetBinary runs the network processes that need heavy libraries
// (netsetup/netproc): podctl execs it for the netconf and ports stages.
const NetBinary = "podctl-net"

// EnvNetconfHost, instead of the netconf stage, runs a netconf request in
// the host's namespaces (root's bridge).
const EnvNetconfHost = "_PODCTL_NETCONF_HOST"

// Probe runs a network check in the pod whose pause has pidfd pausePIDFD,
// through the ports stage of self (podctl-net) with env, and returns nil on success or
// why it failed (the kubelet's words where it has them).
func Probe(self string, env []string, pausePIDFD int, spec string, timeout time.Duration) error {
	dup, err := unix.FcntlInt(uintptr(pausePIDFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	pidfd := os.NewFile(uintptr(dup), "pause-pidfd")
	defer pidfd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, self)
	cmd.Args = []string{"podctl-probe"}
	cmd.Env = append(env, EnvProbe+"="+spec, fmt.Sprintf("_PODCTL_PROBE_TIMEOUT=%d", timeout.Milliseconds()))
	cmd.ExtraFiles = []*os.File{pidfd} // fd 3
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(out.String()); msg != "" {
			return errors.New(msg)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("timed out after %s", timeout)
		}
		return err
	}
	return nil
}
