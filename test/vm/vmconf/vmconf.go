// Package vmconf is what the host side of the VM test (package vm) and the
// VM's init (test/vm/init) agree on: the file the host writes into the
// initramfs to tell the init what to run, and the marker lines the init
// prints on the serial console for the host to find.
//
// The run's parameters travel in a file of the initramfs, not on the kernel
// command line: that line is at most 2048 bytes on x86 (COMMAND_LINE_SIZE)
// and is split at spaces, while a -test.run regular expression or a PODCTL_*
// value may hold any character.
package vmconf

import "time"

// Path is where the host puts the Config, as JSON, in the initramfs.
const Path = "/etc/podctl-vm.json"

// The unprivileged user the tests run as: the host writes its /etc/passwd
// entry, its /etc/subuid and /etc/subgid range and its home; the init runs
// the tests as this user and delegates a cgroup to it.
const (
	User = "podtest"
	UID  = 1000
	GID  = 1000
	Home = "/home/" + User
)

// Markers the init prints, each at the start of a line of its own.
const (
	// Booted: the init has switched root and mounted the file systems.
	Booted = "PODCTL-VM-BOOTED"
	// Start: a stage's test binary is about to be started; its output
	// follows. "PODCTL-VM-START stage=NAME ARGV..."
	Start = "PODCTL-VM-START"
	// Result ends the run: "PODCTL-VM-RESULT exit=N" or, when the init
	// itself failed, "PODCTL-VM-RESULT exit=255 error=MESSAGE".
	Result = "PODCTL-VM-RESULT"
)

// Config is the run the init performs.
type Config struct {
	// Stages are the test commands, run one after the other; the run's
	// exit code is the first stage's that was not 0.
	Stages []Stage
	// Env is added to the environment the init gives the test.
	Env []string
	// Modules are kernel modules (paths in the VM) the init loads first,
	// in this order.
	Modules []string
	// Disks are block devices the init mounts once Modules are loaded.
	Disks []Disk
	// Watchdog: the init prints an error result and powers the machine
	// off this long after it started, whatever the test is doing.
	Watchdog time.Duration
}

// Stage is one test command and the user it runs as.
type Stage struct {
	// Name tells the stage in the console: "rootless", "root".
	Name string
	// Root runs it as root, in a session leaf of root's
	// (user.slice/user-0.slice/session-0.scope, as a root login under
	// systemd), where podctl uses the whole hierarchy; otherwise as
	// User, in the leaf below its delegated cgroup.
	Root bool
	// Argv is the command (argv[0] an absolute path).
	Argv []string
}

// Disk is a file system on a block device of the VM.
type Disk struct {
	Device string // /dev/vda
	Target string // where the init mounts it
	FSType string
}
