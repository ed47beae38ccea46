// Package handler carries out a probe's or a lifecycle hook's action
// against a running container, as the kubelet's prober does: exec (a
// command joined to the container, as podctl exec's), httpGet and
// tcpSocket (from netsetup's probe stage, inside the pod's network
// namespace), sleep. It also runs a container run's probes on their
// periods and counts their results in a row (probes.go); the supervisor
// decides what a streak means for the container (sandbox/supervisor/
// probe.go).
package handler

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/netsetup"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/stage"
	"golang.org/x/sys/unix"
)

// Target is what running a handler needs, captured by the supervisor's
// loop goroutine so that probes never read the supervisor's state.
type Target struct {
	Pod       *model.PodState
	Container model.ContainerSpec
	PIDFD     int    // the workload's (exec)
	PausePIDF int    // the pause's (network actions)
	Cgroup    string // the container's cgroup directory, "" for none
}

// Run performs a handler with a time limit; nil is success.
func (e *Target) Run(h *model.Handler, timeout time.Duration) error {
	switch {
	case h.Sleep > 0:
		time.Sleep(min(h.Sleep, timeout))
		return nil
	case len(h.Exec) > 0:
		return e.exec(h.Exec, timeout)
	case h.HTTPGet != nil:
		g := h.HTTPGet
		host := g.Host
		if host == "" {
			host = "127.0.0.1"
		}
		scheme := strings.ToLower(g.Scheme)
		if scheme == "" {
			scheme = "http"
		}
		path := g.Path
		if path == "" {
			path = "/"
		}
		spec := strings.Join(append([]string{scheme, hostPort(host, g.Port), path}, g.Headers...), " ")
		return netsetup.Probe(netBinary(), []string{nsenter.EnvStage + "=" + nsenter.StagePorts}, e.PausePIDF, spec, timeout)
	case h.TCPPort > 0:
		host := h.TCPHost
		if host == "" {
			host = "127.0.0.1"
		}
		return netsetup.Probe(netBinary(), []string{nsenter.EnvStage + "=" + nsenter.StagePorts}, e.PausePIDF, "tcp "+hostPort(host, h.TCPPort), timeout)
	}
	return errors.New("a handler with no action")
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// exec runs a command in the container, as podctl exec does, and
// succeeds if it exits 0 within timeout (else it is killed).
func (e *Target) exec(args []string, timeout time.Duration) error {
	cfg, err := stage.ExecConfig(e.Pod, &e.Container, args, nil, "", "")
	if err != nil {
		return err
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	proc, err := stage.JoinContainer(e.Pod.Spec, e.Container.Name, e.Cgroup, e.PIDFD, [3]*os.File{null, w, w}, cfg)
	w.Close()
	if err != nil {
		return err
	}
	timer := time.AfterFunc(timeout, func() { proc.Signal(unix.SIGKILL) })
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if out.Len() < 1024 {
				out.Write(buf[:n])
			}
			if err != nil {
				close(readDone)
				return
			}
		}
	}()
	code, sig, err := proc.WaitStatus()
	timedOut := !timer.Stop()
	if err != nil {
		return err
	}
	if timedOut {
		return fmt.Errorf("command %q timed out after %s", strings.Join(args, " "), timeout)
	}
	select {
	case <-readDone:
	case <-time.After(100 * time.Millisecond):
	}
	if code != 0 || sig != 0 {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("command %q exited with %d%s", strings.Join(args, " "), code, msg)
	}
	return nil
}

// netBinary is podctl-net, which runs network probes (netsetup/netproc);
// where it is missing the probe fails saying so.
func netBinary() string {
	bin, err := images.Binary(netsetup.NetBinary)
	if err != nil {
		return netsetup.NetBinary
	}
	return bin
}
