package rootfs

import (
	"fmt"
	"testing"
)

// A container whose volumes ask for propagation gets "/" as a slave, and
// every volume a propagation of its own; without, "/" is private and the
// volumes' propagation is left as it is (private already).
func TestPlanPropagation(t *testing.T) {
	vols := func(steps []Step) (first string, props []string) {
		for _, s := range steps {
			if s[0] == "volume" {
				props = append(props, s[1]+"="+s[4])
			}
		}
		return steps[0][0], props
	}
	plain := []Mount{{Type: "bind", Source: "/a", Target: "/a"}}
	steps, err := Plan(Spec{Root: "/r", Mounts: plain, HostPID: true})
	if err != nil {
		t.Fatal(err)
	}
	if first, props := vols(steps); first != "private" || fmt.Sprint(props) != "[/proc= /a=]" {
		t.Errorf("no propagation asked: %s, %v; want private and no change", first, props)
	}
	asked := append(plain, Mount{Type: "bind", Source: "/s", Target: "/s", Propagation: PropagationSlave},
		Mount{Type: "bind", Source: "/b", Target: "/b", Propagation: PropagationShared})
	if steps, err = Plan(Spec{Root: "/r", Mounts: asked, HostPID: true}); err != nil {
		t.Fatal(err)
	}
	if first, props := vols(steps); first != "slave" || fmt.Sprint(props) != "[/proc=private /a=private /s=slave /b=shared]" {
		t.Errorf("propagation asked: %s, %v; want slave, then each volume's own", first, props)
	}
}
