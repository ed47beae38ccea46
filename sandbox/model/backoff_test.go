package model

import (
	"testing"
	"time"
)

func TestBackoffDoublesToFiveMinutesAndResets(t *testing.T) {
	var b Backoff
	want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 300 * time.Second, 300 * time.Second}
	for i, w := range want {
		if got := b.Delay(time.Second); got != w {
			t.Fatalf("restart %d: delay %s, want %s", i+1, got, w)
		}
	}
	// Ten minutes of running is healthy: back to an immediate restart.
	if got := b.Delay(10 * time.Minute); got != 0 {
		t.Fatalf("after a 10 min run: delay %s, want 0", got)
	}
	if got := b.Delay(time.Second); got != 10*time.Second {
		t.Fatalf("crash right after the reset: delay %s, want 10s", got)
	}
}
