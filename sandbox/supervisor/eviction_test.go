package supervisor

import (
	"testing"
	"time"
)

func TestEvictionInterval(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 10 * time.Second, "200ms": 200 * time.Millisecond, "soon": 10 * time.Second, "-1s": 10 * time.Second} {
		t.Setenv("PODCTL_EVICTION_INTERVAL", v)
		if got := evictionInterval(); got != want {
			t.Errorf("PODCTL_EVICTION_INTERVAL=%q: %s, want %s", v, got, want)
		}
	}
}
