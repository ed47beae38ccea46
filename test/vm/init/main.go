// Command init is PID 1 of the virtual machine in which package vm
// (test/vm) runs podctl's end-to-end tests on a cgroup v2 kernel: the
// machines podctl is developed and tested on have hybrid cgroups, whose v2
// hierarchy holds no controllers, so cgroup v2 limits can only be
// exercised in a VM with a kernel of its own.
//
// It runs in two stages. Stage 1 moves the initramfs into a tmpfs and makes
// that the root (switchroot.go), because podctl's containers pivot_root and
// the initial rootfs cannot be pivoted away from. Stage 2 mounts the usual
// file systems (mounts.go), mounts cgroup2 and delegates a subtree to the
// test user as systemd does (cgroup.go), prepares the rest of the system
// (system.go, network.go), loads the kernel modules and mounts the home
// disk the host packed (modules.go, disks.go), runs each stage's test
// binary as that user or as root (run.go), prints a result marker and powers the machine off (power.go).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// stage2Arg is argv[1] of the init re-executed from the new root.
const stage2Arg = "stage2"

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "init: this is the test VM's PID 1, not a command to run")
		os.Exit(2)
	}
	if len(os.Args) > 2 && os.Args[1] == stage2Arg {
		stage2(os.Args[2])
		return
	}
	// On success switchRoot does not return: it execs stage 2.
	fail(fmt.Errorf("switching root: %w", switchRoot()))
}

// stage2 runs in the new root; stage1 is the kernel's uptime when stage 1
// began.
func stage2(stage1 string) {
	if err := mountAll(); err != nil {
		fail(err)
	}
	cfg, err := readConfig()
	if err != nil {
		fail(err)
	}
	startWatchdog(cfg.Watchdog)
	if err := loadModules(cfg.Modules); err != nil {
		fail(err)
	}
	if err := mountDisks(cfg.Disks); err != nil {
		fail(err)
	}
	if err := setupSystem(); err != nil {
		fail(err)
	}
	leaf, err := delegateCgroup()
	if err != nil {
		fail(fmt.Errorf("cgroup delegation: %w", err))
	}
	fmt.Printf("\n%s uptime=%s (switching root began at %s)\n", vmconf.Booted, uptime(), stage1)
	code, err := runStages(cfg, leaf)
	if code != 0 {
		// What a failed or timed-out test left running, to tell a hang.
		listProcesses("processes left after the test:")
	}
	finish(code, err)
}

func readConfig() (*vmconf.Config, error) {
	b, err := os.ReadFile(vmconf.Path)
	if err != nil {
		return nil, err
	}
	var cfg vmconf.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", vmconf.Path, err)
	}
	if len(cfg.Stages) == 0 {
		return nil, fmt.Errorf("%s: no stage", vmconf.Path)
	}
	for _, s := range cfg.Stages {
		if len(s.Argv) == 0 {
			return nil, fmt.Errorf("%s: stage %s has no command", vmconf.Path, s.Name)
		}
	}
	return &cfg, nil
}

// uptime is the first field of /proc/uptime: seconds since the kernel
// started (proc(5)), for the host's report of how long the boot took.
func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	var up float64
	fmt.Sscan(string(b), &up)
	return fmt.Sprintf("%.1fs", up)
}
