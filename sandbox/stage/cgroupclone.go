package stage

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/podctl/podctl/cgroups"
	"golang.org/x/sys/unix"
)

// CloneIntoCgroup: clone3(CLONE_INTO_CGROUP) exists from Linux 5.7 on.
var CloneIntoCgroup = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var major, minor int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
	return major > 5 || (major == 5 && minor >= 7)
})

// startInCgroup starts cmd born in the cgroup cg (nil: podctl's own). On a
// kernel without CLONE_INTO_CGROUP the stage is moved right after its
// start: podctl's stages fork nothing before podctl has spoken to them.
func startInCgroup(cmd *exec.Cmd, cg *os.File) error {
	if cg == nil {
		return cmd.Start()
	}
	if !CloneIntoCgroup() {
		if err := cmd.Start(); err != nil {
			return err
		}
		return cgroups.Enter(cg.Name(), cmd.Process.Pid)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(cg.Fd())
	return cmd.Start()
}

func CloseFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
