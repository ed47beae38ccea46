package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// finishing is taken by the first caller of finish and never released: the
// watchdog and the end of the test cannot both report.
var finishing sync.Mutex

// finish prints the result marker the host looks for and powers off.
func finish(code int, err error) {
	finishing.Lock()
	line := fmt.Sprintf("\n%s exit=%d", vmconf.Result, code)
	if err != nil {
		line += " error=" + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	os.Stdout.WriteString(line + "\n")
	powerOff()
}

// fail reports an error of the init itself.
func fail(err error) { finish(255, err) }

// powerOff syncs and powers the machine off (reboot(2),
// LINUX_REBOOT_CMD_POWER_OFF), which ends qemu. Should that fail, the
// init exits: the kernel panics when PID 1 exits, panic=-1 on the command
// line reboots at once, and qemu's -no-reboot turns the reboot into an
// exit.
func powerOff() {
	unix.Sync()
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintln(os.Stderr, "init: power off:", err)
	os.Exit(1)
}

// startWatchdog ends the run after d whatever the test is doing, listing
// the processes left to show what hung. The host has a timeout of its own
// for a VM that hangs harder than that.
func startWatchdog(d time.Duration) {
	if d <= 0 {
		return
	}
	time.AfterFunc(d, func() {
		listProcesses("processes at the watchdog's expiry:")
		fail(fmt.Errorf("watchdog: no result after %s", d))
	})
}

// listProcesses prints pid, state, what it waits in (wchan), uid and
// command line of every process but the kernel's threads (proc(5):
// /proc/PID/stat, wchan, status, cmdline; a kernel thread has an empty
// cmdline).
func listProcesses(title string) {
	ents, _ := os.ReadDir("/proc")
	fmt.Printf("\ninit: %s\n", title)
	for _, e := range ents {
		pid := e.Name()
		if pid[0] < '0' || pid[0] > '9' || pid == "1" {
			continue
		}
		dir := "/proc/" + pid + "/"
		cmd, _ := os.ReadFile(dir + "cmdline")
		if len(cmd) == 0 {
			continue
		}
		stat, _ := os.ReadFile(dir + "stat")
		state := "?"
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) {
			state = string(stat[i+2])
		}
		wchan, _ := os.ReadFile(dir + "wchan")
		uid := "?"
		status, _ := os.ReadFile(dir + "status")
		for _, l := range strings.Split(string(status), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
				uid = f[1]
			}
		}
		fmt.Printf("  %6s %s %-24s uid=%-6s %s\n", pid, state, wchan, uid,
			strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " "))
	}
}
