package stage

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/model"
)

// ExecCard is the exec card of container c of pod st, running as c.Proc:
// what podctl exec decides for its plain form (`exec POD -- CMD`: the
// container's user, directory, environment, capabilities and seccomp
// filter, the namespaces to join), which nsenter's constructor then
// carries out with no Go runtime (nsenter/execfast.c). With the default
// profile only (cardable): Go's path reads a profile file anew at each
// exec, which a card could not follow.
func ExecCard(st *model.PodState, c *model.ContainerStatus) ([]byte, error) {
	cfg, err := ExecConfig(st, &c.Spec, nil, nil, "", "")
	if err != nil {
		return nil, err
	}
	plan, err := cfg.Plan()
	if err != nil {
		return nil, err
	}
	b, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	exe, err := nsenter.ExeIdentity()
	if err != nil {
		return nil, err
	}
	card := nsenter.ExecCard{BootID: model.BootID(), Exe: exe, Pod: st.Spec.Name,
		PausePID: st.Pause.PID, PauseTime: st.Pause.StartTime, PID: c.Proc.PID, StartTime: c.Proc.StartTime,
		Setns: ExecFlags(st.Spec), Container: c.Spec.Name, Plan: b}
	return card.Encode()
}

// WriteExecCard writes the exec card of container c of pod st into the
// pod's directory dir (replaced atomically), where podctl exec can use one
// (cardable); elsewhere it writes nothing.
func WriteExecCard(dir string, st *model.PodState, c *model.ContainerStatus) error {
	if !cardable(st, &c.Spec) {
		return nil
	}
	b, err := ExecCard(st, c)
	if err != nil {
		return err
	}
	return model.WriteFileAtomic(filepath.Join(dir, model.ExecCardFile), ".exec-card-*", b)
}

// RemoveExecCard removes the exec card from the pod's directory dir, if
// there is one.
func RemoveExecCard(dir string) error {
	if err := os.Remove(filepath.Join(dir, model.ExecCardFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// cardable says whether container c of pod st can have an exec card: no
// cgroup (an exec'd process must be born in the container's, which only
// Go's path does; nor, where cgroup v2 is the host's hierarchy, does the
// constructor fork a stage to use one), and the default seccomp profile
// or none (Go's path reads a profile file at each exec: edited or deleted
// since the container's start, it gives another filter, or a refusal).
func cardable(st *model.PodState, c *model.ContainerSpec) bool {
	return st.Cgroup == "" && (c.Seccomp == "" || c.Seccomp == "unconfined") && cgroups.DetectMode() != cgroups.Unified
}
