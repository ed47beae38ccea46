package stage

import (
	"os"

	"github.com/podctl/podctl/sandbox/idmap"
)

// MappingPlan is a pod's id mapping (keep-id rearranges it) and the
// per-user namespace to make its user namespace in (nest.go), unless the
// shared network's namespace is the pod's parent (premapped). PlanMapping
// decides it on a goroutine of its own, on the other CPU, while the pod's
// first steps and its pause's stage start; the supervisor takes it (Wait)
// once the stage runs, and lets it go (Close) on every path.
type MappingPlan struct {
	done chan struct{}
	ids  idmap.Mapping
	nest *Nest
	err  error
}

// PlanMapping starts deciding: /etc/subuid and /etc/subgid (idmap.Detect),
// keep-id's rearrangement with keepID, and, unless premapped, the
// per-user namespace (OpenNest, which may start its holder).
func PlanMapping(keepID, premapped bool) *MappingPlan {
	p := &MappingPlan{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.ids = idmap.Detect()
		if keepID {
			if p.ids, p.err = p.ids.KeepID(uint32(os.Getuid()), uint32(os.Getgid())); p.err != nil {
				return
			}
		}
		if !premapped {
			p.nest, p.err = OpenNest(p.ids)
		}
	}()
	return p
}

// Wait returns the plan once decided; the per-user namespace (nil when
// premapped) stays the plan's until Close.
func (p *MappingPlan) Wait() (idmap.Mapping, *Nest, error) {
	<-p.done
	return p.ids, p.nest, p.err
}

// Close waits for the plan and lets its per-user namespace go (the pause's
// stage has it by then, or the pod failed before).
func (p *MappingPlan) Close() {
	<-p.done
	p.nest.Close() // nil-safe
	p.nest = nil
}
