package stage

import (
	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/model"
)

// ExecCard is the exec card of container c of pod st, running as c.Proc:
// what podctl exec decides for its plain form (`exec POD -- CMD`: the
// container's user, directory, environment, capabilities and seccomp
// filter, the namespaces to join), which nsenter's constructor then
// carries out with no Go runtime (nsenter/execfast.c). Its seccomp
// filter is the one compiled for this run, from the profile as it was at
// the container's start.
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
	card := nsenter.ExecCard{BootID: model.BootID(), PID: c.Proc.PID, StartTime: c.Proc.StartTime,
		Setns: ExecFlags(st.Spec), Container: c.Spec.Name, Plan: b}
	return card.Encode()
}
