package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/model"
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
