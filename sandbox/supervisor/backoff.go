package supervisor

import "time"

// Kubernetes' crash back-off (the kubelet's): a container that keeps
// failing is restarted after 10 s, then 20 s, 40 s, ... at most 5 min; a
// run of 10 min or more counts as healthy and resets the delay.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	backoffReset   = 10 * time.Minute
)

// backoff is one container's restart delay.
type backoff struct {
	next time.Duration
}

// delay returns how long to wait before restarting a container whose last
// run lasted ran. The first restart is immediate, as in the kubelet; each
// one after it waits twice as long as the one before.
func (b *backoff) delay(ran time.Duration) time.Duration {
	if ran >= backoffReset {
		b.next = 0
	}
	d := b.next
	switch {
	case b.next == 0:
		b.next = backoffInitial
	case b.next < backoffMax:
		b.next = min(2*b.next, backoffMax)
	}
	return d
}
