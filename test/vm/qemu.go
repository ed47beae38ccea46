package vm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/test/vm/vmconf"
)

// installHint is what CI installs for this test.
const installHint = "apt-get install qemu-system-x86 linux-image-amd64"

// findKernel is the newest of Debian's kernels in /boot (the package
// linux-image-amd64 installs one there; the running kernel need not be
// one of them). Its cgroup controllers and namespaces are built in, so the
// VM needs no modules.
func findKernel() (string, error) {
	ks, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(ks) == 0 {
		return "", fmt.Errorf("no kernel in /boot/vmlinuz-* (%s)", installHint)
	}
	sort.Strings(ks)
	return ks[len(ks)-1], nil
}

// qemuArgs boots kernel with initrd and disk: software emulation (TCG; KVM
// does not boot a stock kernel on the machines podctl is tested on), the
// serial port as the console on qemu's stdout, no network card (the tests
// use none), and no reboot: a kernel panic or the init's power-off ends
// qemu. The disk is thrown away after the run, so its writes need not
// reach the host's disk (cache=unsafe).
func qemuArgs(kernel, initrd, disk string) []string {
	return []string{"-accel", "tcg", "-m", "1024", "-smp", "2", "-nographic", "-no-reboot", "-nic", "none",
		"-drive", "file=" + disk + ",format=raw,if=virtio,cache=unsafe",
		"-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet"}
}

// vmRun is what the console said.
type vmRun struct {
	booted, started, ended time.Duration // when each marker came, from qemu's start
	guestUptime            string        // the kernel's uptime when the init was ready
	exit                   int           // the result marker's exit code, -1 without one
	initError              string        // its error=, when the init failed
	stage                  string        // the stage running, from its start marker
	passed, failed         []string      // the top-level tests of each outcome, as STAGE/TEST
	passLines              int           // "--- PASS" lines, subtests included
	console                []string      // the lines before the test started, for a failure report
}

var resultRE = regexp.MustCompile(`^` + vmconf.Result + ` exit=(\d+)(?: error=(.*))?$`)

// boot runs qemu until it exits or timeout passes (then it is killed),
// writing the test's output (the lines between the start and result
// markers) to out as it comes.
func boot(qemu, kernel, initrd, disk string, timeout time.Duration, out io.Writer) (*vmRun, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, qemuArgs(kernel, initrd, disk)...)
	// No stdin: qemu's -nographic multiplexes its monitor onto stdio.
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &vmRun{exit: -1}
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	inTest := false
	for sc.Scan() {
		// The console's tty turns \n into \r\n (ONLCR, termios(3)).
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, vmconf.Booted):
			r.booted = time.Since(start)
			r.guestUptime = strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, vmconf.Booted)), "uptime=")
		case strings.HasPrefix(line, vmconf.Start):
			if r.started == 0 {
				r.started = time.Since(start)
			}
			inTest = true
			r.stage = "?"
			if f := strings.Fields(line); len(f) > 1 {
				r.stage = strings.TrimPrefix(f[1], "stage=")
			}
			fmt.Fprintln(out, line)
		case strings.HasPrefix(line, vmconf.Result):
			r.ended = time.Since(start)
			inTest = false
			if m := resultRE.FindStringSubmatch(line); m != nil {
				r.exit, _ = strconv.Atoi(m[1])
				r.initError = m[2]
			}
			r.console = append(r.console, line)
		case inTest:
			fmt.Fprintln(out, line)
			r.count(line)
		default:
			r.console = append(r.console, line)
		}
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return r, fmt.Errorf("qemu killed after %s", timeout)
	}
	if err != nil && r.exit < 0 {
		return r, fmt.Errorf("qemu: %w", err)
	}
	return r, nil
}

// count notes a line of `go test -v` output.
func (r *vmRun) count(line string) {
	if strings.Contains(line, "--- PASS") {
		r.passLines++
	}
	if name, ok := strings.CutPrefix(line, "--- PASS: "); ok {
		r.passed = append(r.passed, r.stage+"/"+strings.Fields(name)[0])
	}
	if name, ok := strings.CutPrefix(line, "--- FAIL: "); ok {
		r.failed = append(r.failed, r.stage+"/"+strings.Fields(name)[0])
	}
}
