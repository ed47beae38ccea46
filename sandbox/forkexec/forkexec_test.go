package forkexec

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExitStatus(t *testing.T) {
	p, err := Start(&Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 3"}})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || err.Error() != "exit status 3" {
		t.Fatalf("Wait = %v, want exit status 3", err)
	}
	if again := p.Wait(); again != err {
		t.Fatalf("second Wait = %v, want the first's %v", again, err)
	}
	if p.PidFD() != -1 {
		t.Fatal("the pidfd is still open after Wait")
	}
	if err := p.Kill(); !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("Kill after Wait = %v, want ErrProcessDone", err)
	}
}

func TestKill(t *testing.T) {
	p, err := Start(&Cmd{Path: "/bin/sleep", Args: []string{"sleep", "100"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.PidFD() < 0 {
		t.Fatal("no pidfd")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err == nil || err.Error() != "signal: killed" {
		t.Fatalf("Wait = %v, want signal: killed", err)
	}
}

// Descriptors land where os/exec puts them: 0-2 the standard streams
// (/dev/null when nil), 3 and up ExtraFiles; none of ours else is
// inherited (Go opens everything close-on-exec).
func TestFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	er, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	mine, err := os.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	script := `readlink /proc/self/fd/0; echo extra >&3; test -e /proc/self/fd/` + strconv.Itoa(int(mine.Fd())) + ` && echo leaked || echo closed`
	p, err := Start(&Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Stdout: w, ExtraFiles: []*os.File{ew}})
	w.Close()
	ew.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	extra, _ := io.ReadAll(er)
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 || lines[0] != "/dev/null" || lines[1] != "closed" {
		t.Fatalf("child saw %q, want /dev/null as stdin and none of our descriptors", out)
	}
	if string(extra) != "extra\n" {
		t.Fatalf("fd 3 got %q", extra)
	}
}

func TestStartFails(t *testing.T) {
	_, err := Start(&Cmd{Path: "/nonexistent", Args: []string{"x"}})
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("Start = %v, want ENOENT", err)
	}
}

// Output feeds standard input and collects both outputs, in order.
func TestOutput(t *testing.T) {
	out, err := Output(&Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "cat; echo err >&2; exit 2"}}, []byte("in\n"))
	if string(out) != "in\nerr\n" || err == nil || err.Error() != "exit status 2" {
		t.Fatalf("Output = %q, %v", out, err)
	}
}

// Separate writers get their own stream; a large input crosses whole.
func TestPipes(t *testing.T) {
	in := bytes.Repeat([]byte("x"), 1<<20)
	var out, errb bytes.Buffer
	c := &Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", "wc -c; echo e >&2"}}
	p, err := NewPipes(c, in, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	proc, err := Start(c)
	p.Started()
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	if strings.TrimSpace(out.String()) != "1048576" || errb.String() != "e\n" {
		t.Fatalf("out %q, err %q", out.String(), errb.String())
	}
}
