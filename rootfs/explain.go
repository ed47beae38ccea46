package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// explainf, when set (Spec.Explain, for podctl --explain), is told every
// mount as it is made, with the path inside the container.
var explainf func(format string, args ...any)

// explainMount reports a mount made on target (a path inside the rootfs).
func explainMount(why, source, target, fstype string, flags uintptr, data string) {
	if explainf == nil {
		return
	}
	var f []string
	for _, b := range []struct {
		bit  uintptr
		name string
	}{{unix.MS_BIND, "MS_BIND"}, {unix.MS_REC, "MS_REC"}, {unix.MS_REMOUNT, "MS_REMOUNT"}, {unix.MS_RDONLY, "MS_RDONLY"},
		{unix.MS_NOSUID, "MS_NOSUID"}, {unix.MS_NODEV, "MS_NODEV"}, {unix.MS_NOEXEC, "MS_NOEXEC"}, {unix.MS_PRIVATE, "MS_PRIVATE"}} {
		if flags&b.bit != 0 {
			f = append(f, b.name)
		}
	}
	args := fmt.Sprintf("%q, %q", source, target)
	if fstype != "" {
		args += fmt.Sprintf(", %q", fstype)
	}
	if len(f) == 0 {
		f = []string{"0"}
	}
	args += ", " + strings.Join(f, "|")
	if data != "" {
		args += fmt.Sprintf(", %q", data)
	}
	explainf("%s: mount(%s)", why, args)
}
