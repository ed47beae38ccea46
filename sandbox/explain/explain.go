// Package explain is --explain: every podctl process, C stages included,
// writes one line per kernel-level step it takes (namespaces, id maps,
// mounts, pivot_root, credentials, filters, signals) to one inherited
// descriptor, prefixed with its role.
package explain

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// --explain: every process of podctl says, one line each, what it does at
// the kernel level as it does it: which namespaces it makes or joins, the
// id maps, the mounts, pivot_root, credentials, the filter, the signals.
// The line starts with the process's role. The C stages (nsenter.c) write
// to the same descriptor, named in their environment by envExplainFD.

// envExplainFD names the inherited descriptor that explain lines go to.
const envExplainFD = "_PODCTL_EXPLAIN_FD"

// EnvTimes, set to 1 in podctl's environment, starts every --explain line
// with the milliseconds since podctl's C constructor ran (Set's origin), on the
// CLOCK_MONOTONIC clock that every process of the pod shares: a timeline
// of a start, step by step and process by process (docs/benchmarks.md).
const EnvTimes = "PODCTL_EXPLAIN_TIMES"

// envT0 passes that origin, in nanoseconds of CLOCK_MONOTONIC, to the
// stages (the C ones read it too, nsenter.c explain_line).
const envT0 = "_PODCTL_EXPLAIN_T0"

// File is where explain lines go (nil: --explain is off).
var File *os.File

// t0 is the timeline's origin, CLOCK_MONOTONIC in ns; 0: no timestamps.
var t0 int64

// Set turns --explain on, writing to f (podctl's stderr). origin, if not
// 0, is the timeline's origin (CLOCK_MONOTONIC ns: when podctl's C
// constructor ran, nsenter.ExecNS); else it is now.
func Set(f *os.File, origin int64) {
	File = f
	if os.Getenv(EnvTimes) == "1" {
		t0 = origin
		if t0 == 0 {
			t0 = monotonic()
		}
		Printf("podctl", "--explain on: podctl's Go runtime, its packages' initialisers and the command line took the time until here, since its C constructor")
	}
}

// FromEnv turns explain on in a stage that inherited the descriptor.
func FromEnv() {
	v := os.Getenv(envExplainFD)
	os.Unsetenv(envExplainFD)
	if fd, err := strconv.Atoi(v); err == nil && fd > 2 {
		unix.CloseOnExec(fd) // never the workload's
		File = os.NewFile(uintptr(fd), "explain")
		t0, _ = strconv.ParseInt(os.Getenv(envT0), 10, 64)
	}
	os.Unsetenv(envT0)
}

// Origin is the timeline's origin (CLOCK_MONOTONIC ns), 0 for none: a
// stage that gets explain's descriptor over a socket gets this with it.
func Origin() int64 { return t0 }

func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Printf writes one line for role, if --explain is on.
func Printf(role, format string, args ...any) {
	if File == nil {
		return
	}
	stamp := ""
	if t0 != 0 {
		stamp = fmt.Sprintf("%8.3f ", float64(monotonic()-t0)/1e6)
	}
	fmt.Fprintf(File, "%s%-14s%s\n", stamp, "["+role+"]", fmt.Sprintf(format, args...))
}

// Stage adds the explain descriptor to a stage podctl starts: its
// environment entry and its file, appended to the stage's ExtraFiles (so
// its number is 3 + the index).
func Stage(env []string, files []*os.File) ([]string, []*os.File) {
	if File == nil {
		return env, files
	}
	if t0 != 0 {
		env = append(env, envT0+"="+strconv.FormatInt(t0, 10))
	}
	return append(env, envExplainFD+"="+strconv.Itoa(3+len(files))), append(files, File)
}

// NSFlagNames spells out CLONE_NEW* flags.
func NSFlagNames(flags int) string {
	var n []string
	for _, f := range []struct {
		bit  int
		name string
	}{{unix.CLONE_NEWUSER, "CLONE_NEWUSER"}, {unix.CLONE_NEWNS, "CLONE_NEWNS"}, {unix.CLONE_NEWNET, "CLONE_NEWNET"},
		{unix.CLONE_NEWIPC, "CLONE_NEWIPC"}, {unix.CLONE_NEWUTS, "CLONE_NEWUTS"}, {unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
		{unix.CLONE_NEWPID, "CLONE_NEWPID"}} {
		if flags&f.bit != 0 {
			n = append(n, f.name)
		}
	}
	return strings.Join(n, "|")
}
