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

// File is where explain lines go (nil: --explain is off).
var File *os.File

// Set turns --explain on, writing to f (podctl's stderr).
func Set(f *os.File) { File = f }

// FromEnv turns explain on in a stage that inherited the descriptor.
func FromEnv() {
	v := os.Getenv(envExplainFD)
	os.Unsetenv(envExplainFD)
	if fd, err := strconv.Atoi(v); err == nil && fd > 2 {
		unix.CloseOnExec(fd) // never the workload's
		File = os.NewFile(uintptr(fd), "explain")
	}
}

// Printf writes one line for role, if --explain is on.
func Printf(role, format string, args ...any) {
	if File == nil {
		return
	}
	fmt.Fprintf(File, "%-14s%s\n", "["+role+"]", fmt.Sprintf(format, args...))
}

// Stage adds the explain descriptor to a stage podctl starts: its
// environment entry and its file, appended to the stage's ExtraFiles (so
// its number is 3 + the index).
func Stage(env []string, files []*os.File) ([]string, []*os.File) {
	if File == nil {
		return env, files
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
