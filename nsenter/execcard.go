package nsenter

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// ExecCard is what `podctl exec POD -- CMD`, the plain form, needs to run
// with no Go runtime (execfast.c): a pod's supervisor writes it for each
// run of the pod's main container, and nsenter's constructor reads it back
// (execcard.h has the format and execcard.c the parser, as untrusted
// input: any doubt sends the command down its Go path).
type ExecCard struct {
	BootID string // the boot it was written in (model.BootID)
	// Exe is the binary that wrote it (ExeIdentity): the plan is in that
	// binary's format, and only the same binary takes the card.
	Exe       [5]uint64
	Pod       string
	PausePID  int    // the pod's pause, and its start time: a pod whose
	PauseTime uint64 // pause is gone is lost (model.Observe)
	PID       int    // the container's process, and its start time
	StartTime uint64 // (/proc/PID/stat field 22)
	Setns     int    // the namespaces exec joins (stage.ExecFlags)
	Container string // its name
	// Plan is the init's plan for an exec into it with no flags
	// (stage.ExecConfig, InitPlan.Encode), without the command: the
	// constructor appends an "arg" operation per word.
	Plan []byte
}

// Encode is the card's bytes.
func (c *ExecCard) Encode() ([]byte, error) {
	if len(c.BootID) != 36 || strings.ContainsAny(c.BootID, " \n") {
		return nil, fmt.Errorf("exec card: bad boot id %q", c.BootID)
	}
	if c.PID <= 0 || c.PausePID <= 0 || c.Setns <= 0 || len(c.Plan) == 0 {
		return nil, fmt.Errorf("exec card of container %s: pid %d, setns %#x, %d bytes of plan", c.Container, c.PID, c.Setns, len(c.Plan))
	}
	head := fmt.Sprintf("podctl-exec-card 1\nboot %s\nexe %d %d %d %d %d\npod %s\npause %d %d\npid %d %d\nsetns %#x\ncontainer %s\nplan %d\n",
		c.BootID, c.Exe[0], c.Exe[1], c.Exe[2], c.Exe[3], c.Exe[4], c.Pod, c.PausePID, c.PauseTime,
		c.PID, c.StartTime, c.Setns, c.Container, len(c.Plan))
	return append([]byte(head), c.Plan...), nil
}

// ExeIdentity is this process's binary as the card records it: stat(2)
// of /proc/self/exe (device, inode, size, modification time), what the
// constructor compares with its own (execfast.c).
func ExeIdentity() ([5]uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return [5]uint64{}, err
	}
	return [5]uint64{st.Dev, st.Ino, uint64(st.Size), uint64(st.Mtim.Sec), uint64(st.Mtim.Nsec)}, nil
}
