package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/model"
	"golang.org/x/sys/unix"
)

// logRecords are the records of stream in the CRI log at path, each as
// its tag, a space and its content.
func logRecords(t *testing.T, path, stream string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, l := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if f := strings.SplitN(l, " ", 4); len(f) == 4 && f[1] == stream {
			recs = append(recs, f[2]+" "+f[3])
		}
	}
	return recs
}

// Output without a final newline, written while the keeper holds the
// pipes (issue 19 item 7): the keeper logs it as P records, and the line
// is closed by an F record when the stream ends. podctl logs prints P
// records as the kubelet's reader does: their content at once, a newline
// only after an F record.
func TestLogsPartialLineHibernated(t *testing.T) {
	leakCheck(t)
	t.Setenv("PODCTL_HIBERNATE_AFTER", "50ms")
	podRm(t, "partial")
	w := t.TempDir()
	os.Chmod(w, 0o777)
	const size = 5 << 20 // a multiple of the 16 KiB records: P records only
	mustRun(t, "run", "-d", "--name", "partial", "-v", w+":/w", "--rootfs", rootfs, "--", "sh", "-c",
		"while [ ! -e /w/go ]; do sleep 0.05; done; head -c 5242880 /dev/zero | tr '\\0' x; "+
			"while [ ! -e /w/end ]; do sleep 0.05; done")
	sup := state(t, "partial").Supervisor.PID
	eventually(t, "the keeper", func() bool { return hibernated(sup) })
	os.WriteFile(filepath.Join(w, "go"), nil, 0o644)
	log := filepath.Join(stateDir(), "partial", "logs", "partial", "0.log")
	logged := func() int {
		n := 0
		for _, r := range logRecords(t, log, "stdout") {
			n += len(r) - 2
		}
		return n
	}
	eventually(t, "5 MiB in the log", func() bool { return logged() == size })
	want := strings.Repeat("x", size)
	if out := mustRun(t, "logs", "partial"); out != want {
		t.Errorf("logs of a running container's open line: %d bytes, want %d without a newline", len(out), size)
	}
	os.WriteFile(filepath.Join(w, "end"), nil, 0o644)
	eventually(t, "the pod's end", func() bool { return model.Terminal(state(t, "partial").Phase) })
	recs := logRecords(t, log, "stdout")
	if last := recs[len(recs)-1]; last != "F " {
		t.Errorf("the stream ended and its line is not closed: last record %.20q", last)
	}
	if out := mustRun(t, "logs", "partial"); out != want+"\n" {
		t.Errorf("logs after the end: %d bytes, want %d and a newline", len(out), size+1)
	}
}

// within is eventually with a longer limit, for output of tens of MB.
func within(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// logFiles are the names and sizes of the files in a container's log
// directory.
func logFiles(t *testing.T, dir string) (names []string, sizes []int64, total int64) {
	t.Helper()
	for _, n := range listDir(dir) {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		names, sizes, total = append(names, n), append(sizes, fi.Size()), total+fi.Size()
	}
	return names, sizes, total
}

// checkNumbers checks that out is the lines "first" to last, one number
// each, for some first > 1: what rotation kept, in order, none missing.
func checkNumbers(t *testing.T, what, out string, last int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	first, err := strconv.Atoi(lines[0])
	if err != nil || first <= 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("%s: starts with %.20q: want the lines rotation kept, not the first", what, out)
	}
	for i, l := range lines {
		if l != strconv.Itoa(first+i) {
			t.Fatalf("%s: line %d is %.20q, want %d (lines %d on, in order)", what, i, l, first+i, first)
		}
	}
	if first+len(lines)-1 != last {
		t.Errorf("%s: ends at %d, want %d", what, first+len(lines)-1, last)
	}
}

// A container's log is rotated as the kubelet rotates it (issue 19 item
// 6): by default at 10 MiB, keeping 5 files; with --log-max-size and
// --log-max-files as told, kept in the pod's state so that the keeper
// (which wakes the supervisor to rotate) and a resumed supervisor honour
// them. podctl logs reads the rotated files in order.
func TestLogsRotated(t *testing.T) {
	leakCheck(t)
	// The defaults: 80 MB of output (it filled the 64 MiB runtime
	// directory before) keeps 5 files of at most 10 MiB.
	podRm(t, "rot")
	mustRun(t, "run", "-d", "--name", "rot", "--rootfs", rootfs, "--", "sh", "-c",
		"yes 012345678901234567890123456789012345678901234567890123456789012345678 | head -c 80000000; echo; echo end")
	within(t, 2*time.Minute, "80 MB of output", func() bool { return model.Terminal(state(t, "rot").Phase) })
	names, sizes, total := logFiles(t, filepath.Join(stateDir(), "rot", "logs", "rot"))
	t.Logf("80 MB of output with the defaults: %v, %v bytes, %d in all", names, sizes, total)
	if want := "0.log 0.log.1 0.log.2 0.log.3 0.log.4"; strings.Join(names, " ") != want {
		t.Errorf("log files %v, want %s", names, want)
	}
	for i, n := range sizes {
		// A line the keeper cut as it woke the supervisor to rotate
		// goes out as a P record of at most 16 KiB first.
		if n > 10<<20+16<<10+64 {
			t.Errorf("%s: %d bytes, more than 10 MiB and a record", names[i], n)
		}
	}
	if out := run(t, "logs", "rot", "--tail", "1").stdout; out != "end\n" {
		t.Errorf("logs --tail 1: %q, want the last line", out)
	}
	if sp := state(t, "rot").Spec; sp.LogMaxSize != 10<<20 || sp.LogMaxFiles != 5 {
		t.Errorf("state.json: logMaxSize %d, logMaxFiles %d, want the kubelet's defaults", sp.LogMaxSize, sp.LogMaxFiles)
	}

	// Small limits, and the output written while the keeper holds the
	// pipes: it wakes the supervisor each time the log is full.
	t.Setenv("PODCTL_HIBERNATE_AFTER", "50ms")
	podRm(t, "rot2")
	w := t.TempDir()
	os.Chmod(w, 0o777)
	mustRun(t, "run", "-d", "--name", "rot2", "--log-max-size", "64k", "--log-max-files", "3", "-v", w+":/w", "--rootfs", rootfs, "--",
		"sh", "-c", "while [ ! -e /w/go ]; do sleep 0.05; done; seq 1 100000; exec sleep 1000")
	sup := state(t, "rot2").Supervisor.PID
	eventually(t, "the keeper", func() bool { return hibernated(sup) })
	os.WriteFile(filepath.Join(w, "go"), nil, 0o644)
	within(t, time.Minute, "the last line", func() bool { return run(t, "logs", "rot2", "--tail", "1").stdout == "100000\n" })
	checkNumbers(t, "logs", mustRun(t, "logs", "rot2"), 100000)
	names, sizes, _ = logFiles(t, filepath.Join(stateDir(), "rot2", "logs", "rot2"))
	if want := "0.log 0.log.1 0.log.2"; strings.Join(names, " ") != want {
		t.Errorf("log files %v, want %s", names, want)
	}
	for i, n := range sizes {
		if n > 64<<10+16<<10+64 {
			t.Errorf("%s: %d bytes, more than 64 KiB and a record", names[i], n)
		}
	}
	if sp := state(t, "rot2").Spec; sp.LogMaxSize != 64<<10 || sp.LogMaxFiles != 3 {
		t.Errorf("state.json: logMaxSize %d, logMaxFiles %d", sp.LogMaxSize, sp.LogMaxFiles)
	}
	for _, bad := range [][]string{{"--log-max-files", "1"}, {"--log-max-size", "0"}, {"--log-max-size", "lots"}} {
		if r := run(t, append(append([]string{"run", "--rm"}, bad...), "--rootfs", rootfs, "--", "true")...); r.code == 0 || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("run %v: exit %d, %q", bad, r.code, r.stderr)
		}
	}
}

// Logs never take the last space of the filesystem podctl keeps its state
// on (issue 19 item 6): a pod that writes more than a small runtime
// directory holds loses output, counted, and podctl goes on working there
// (run -d, configmap create, state.json). PODCTL_SMALL_RUNDIR is an empty
// tmpfs of the user's, 24 MiB (run-tests.sh mounts it).
func TestLogsFullDisk(t *testing.T) {
	small := os.Getenv("PODCTL_SMALL_RUNDIR")
	if small == "" {
		t.Skip("PODCTL_SMALL_RUNDIR is not set (test/run-tests.sh mounts a small tmpfs for it)")
	}
	leakCheck(t)
	env := []string{"XDG_RUNTIME_DIR=" + small}
	p := func(args ...string) result { return runEnv(t, env, "", args...) }
	t.Cleanup(func() {
		p("rm", "-f", "flood", "after")
		p("configmap", "rm", "after")
		os.RemoveAll(filepath.Join(small, "podctl"))
	})
	w := t.TempDir()
	os.Chmod(w, 0o777)
	// 64 MB of output into the defaults' 5 × 10 MiB, on 24 MiB.
	if r := p("run", "-d", "--name", "flood", "-v", w+":/w", "--rootfs", rootfs, "--", "sh", "-c",
		"yes 012345678901234567890123456789012345678901234567890123456789012345678 | head -c 64000000; touch /w/done; exec sleep 1000"); r.code != 0 {
		t.Fatalf("run -d: exit %d, %s", r.code, r.stderr)
	}
	within(t, 2*time.Minute, "the flood", func() bool { _, err := os.Stat(filepath.Join(w, "done")); return err == nil })
	var st unix.Statfs_t
	unix.Statfs(small, &st)
	t.Logf("free on the %d KiB runtime directory after the flood: %d KiB", st.Blocks*uint64(st.Bsize)>>10, st.Bavail*uint64(st.Bsize)>>10)
	if r := p("run", "-d", "--name", "after", "--rootfs", rootfs, "--", "sleep", "1000"); r.code != 0 {
		t.Errorf("run -d after the flood: exit %d, %s", r.code, r.stderr)
	}
	if r := p("configmap", "create", "after", "--from-literal", "k="+strings.Repeat("v", 100<<10)); r.code != 0 {
		t.Errorf("configmap create after the flood: exit %d, %s", r.code, r.stderr)
	}
	if r := p("stop", "flood"); r.code != 0 {
		t.Errorf("stop after the flood: exit %d, %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(small, "podctl", "pods", "flood", "state.json"))
	var fst model.PodState
	if err == nil {
		err = json.Unmarshal(b, &fst)
	}
	if err != nil || len(fst.Containers) != 1 || !model.Terminal(fst.Phase) {
		t.Fatalf("state.json of the flood after stop: %v, %.200s", err, b)
	}
	if d := fst.Containers[0].LogDroppedBytes; d <= 0 {
		t.Errorf("logDroppedBytes %d: the output that did not fit is not counted", d)
	} else {
		t.Logf("logDroppedBytes %d", d)
	}
	// The last line ended by an F record, and after it the line still
	// open, if the drops cut one (docs/logs.md: --tail keeps an open line);
	// records are dropped whole, so a line of the log may be two lines'
	// pieces, but only ever the flood's digits.
	r := p("logs", "flood", "--tail", "1")
	full, open, ended := strings.Cut(r.stdout, "\n")
	digits := func(s string) bool { return strings.Trim(s, "0123456789") == "" }
	if r.code != 0 || !ended || full == "" || !digits(full) || !digits(open) {
		t.Errorf("logs --tail 1: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
}
