package nsenter

import (
	"fmt"
	"strings"
)

// ExecCard is what `podctl exec POD -- CMD`, the plain form, needs to run
// with no Go runtime (execfast.c): a pod's supervisor writes it for each
// run of the pod's main container, and nsenter's constructor reads it back
// (execcard.h has the format and execcard.c the parser, as untrusted
// input: any doubt sends the command down its Go path).
type ExecCard struct {
	BootID    string // the boot it was written in (model.BootID)
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
	if c.PID <= 0 || c.Setns <= 0 || len(c.Plan) == 0 {
		return nil, fmt.Errorf("exec card of container %s: pid %d, setns %#x, %d bytes of plan", c.Container, c.PID, c.Setns, len(c.Plan))
	}
	head := fmt.Sprintf("podctl-exec-card 1\nboot %s\npid %d %d\nsetns %#x\ncontainer %s\nplan %d\n",
		c.BootID, c.PID, c.StartTime, c.Setns, c.Container, len(c.Plan))
	return append([]byte(head), c.Plan...), nil
}
