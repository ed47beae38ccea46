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
