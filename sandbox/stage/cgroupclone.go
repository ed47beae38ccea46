package stage

import (
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/sandbox/forkexec"
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
func startInCgroup(cmd *forkexec.Cmd, cg *os.File) (*forkexec.Process, error) {
	if cg == nil {
		return forkexec.Start(cmd)
	}
	if !CloneIntoCgroup() {
		proc, err := forkexec.Start(cmd)
		if err != nil {
			return nil, err
		}
		if err := cgroups.Enter(cg.Name(), proc.Pid); err != nil {
			proc.Kill()
			proc.Wait()
			return nil, err
		}
		return proc, nil
	}
	if cmd.Sys == nil {
		cmd.Sys = &syscall.SysProcAttr{}
	}
	cmd.Sys.UseCgroupFD, cmd.Sys.CgroupFD = true, int(cg.Fd())
	return forkexec.Start(cmd)
}

func CloseFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}
