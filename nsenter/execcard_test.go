package nsenter

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecCardC builds the C unit tests of the exec card's parser
// (ctest/execcard_test.c, with AddressSanitizer and UBSan) and runs them
// on a card written here by ExecCard.Encode: what the constructor reads
// back must be what the supervisor meant.
func TestExecCardC(t *testing.T) {
	dir := t.TempDir()
	bin := buildCTest(t, dir, "ctest/execcard_test.c", "execcard.c")
	card := &ExecCard{BootID: "79c590d1-e40d-46b9-9fdd-a691859f21a8", Exe: [5]uint64{2049, 1234567, 11534336, 1764900000, 999999999},
		Pod: "pod-1", PausePID: 1, PauseTime: 0, PID: 4194304, StartTime: 18446744073709551615,
		Setns: 0x7e020000, Container: "web-1", Plan: []byte("plan\x00where\x00a b\x00")}
	b, err := card.Encode()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "card")
	os.WriteFile(file, b, 0o600)
	out, err := exec.Command(bin, file).CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "ok\n") {
		t.Fatalf("C tests: %v\n%s", err, out)
	}
	want := "boot 79c590d1-e40d-46b9-9fdd-a691859f21a8\nexe 2049 1234567 11534336 1764900000 999999999\npod pod-1\npause 1 0\npid 4194304 18446744073709551615\nsetns 0x7e020000\ncontainer web-1\nplan 15 [plan\x00where\x00a b\x00]\nok\n"
	if string(out) != want {
		t.Errorf("the C side read the card as\n%q\nwant\n%q", out, want)
	}
	// What C would refuse, Go does not write.
	for _, bad := range []ExecCard{
		{BootID: "short", PID: 1, PausePID: 1, Setns: 1, Plan: []byte("x")},
		{BootID: card.BootID, PID: 0, PausePID: 1, Setns: 1, Plan: []byte("x")},
		{BootID: card.BootID, PID: 1, PausePID: 0, Setns: 1, Plan: []byte("x")},
		{BootID: card.BootID, PID: 1, PausePID: 1, Setns: 1},
	} {
		if _, err := bad.Encode(); err == nil {
			t.Errorf("%+v was encoded", bad)
		}
	}
}
