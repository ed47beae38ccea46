package sandbox

import (
	"os"

	"github.com/podctl/podctl/sandbox/explain"
	"github.com/podctl/podctl/sandbox/stage"
	"github.com/podctl/podctl/sandbox/supervisor"

	"github.com/podctl/podctl/nsenter"
)

// Settings are the process-wide choices of a program that makes pods. The
// caller makes them once, with Configure, before any pod operation.
type Settings struct {
	// Explain, if not nil, receives --explain's lines: every kernel-level
	// step of every process of the pod, by role.
	Explain *os.File
	// Podctl is the podctl binary that the pod's stages (supervisor,
	// pause, join, init) run: "" for this very binary (/proc/self/exe).
	// A helper binary that makes pods (podctl-kube) names podctl.
	Podctl string
}

// Configure applies s.
func Configure(s Settings) {
	if s.Explain != nil {
		explain.Set(s.Explain, nsenter.ExecNS())
	}
	if s.Podctl != "" {
		stage.UsePodctl(s.Podctl)
	}
}

// StageMain runs this process's hidden role, when podctl was executed as
// one of a pod's processes: a detached supervisor. It never returns then.
// The other stages (pause, join and the container's init, keeper) never
// reach Go at all, and the network's (netconf, ports) run in podctl-net. None of them is a
// user-visible command; main calls StageMain before the CLI parses
// anything.
func StageMain() {
	if fd, ok := supervisor.InSupervisor(); ok {
		supervisor.SuperviseMain(fd)
	}
}
