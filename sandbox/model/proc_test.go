package model

import (
	"os"
	"testing"
)

func TestProcStartTime(t *testing.T) {
	a, err := ProcStartTime(os.Getpid())
	if err != nil || a == 0 {
		t.Fatalf("%d %v", a, err)
	}
	if b, _ := ProcStartTime(os.Getpid()); b != a {
		t.Errorf("start time changed: %d %d", a, b)
	}
}

// A running process is not exiting; one that is gone counts as exiting.
func TestProcExiting(t *testing.T) {
	if ProcExiting(os.Getpid()) {
		t.Error("this test's own process reads as exiting")
	}
	if !ProcExiting(1 << 22) { // above pid_max's limit (PID_MAX_LIMIT)
		t.Error("a pid that cannot exist reads as alive")
	}
	if st, err := ProcStartTime(os.Getpid()); err != nil || st == 0 {
		t.Errorf("start time: %d, %v", st, err)
	}
}
