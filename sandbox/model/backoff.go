package model

import "time"

// Kubernetes' crash back-off (the kubelet's): a container that keeps
// failing is restarted after 10 s, then 20 s, 40 s, ... at most 5 min; a
// run of 10 min or more counts as healthy and resets the delay.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 5 * time.Minute
	backoffReset   = 10 * time.Minute
)

// Backoff is one container's restart delay; Next is what the next
// restart will wait (RestartInfo.Backoff keeps it across a supervisor's
// hibernation).
type Backoff struct {
	Next time.Duration
}

// Delay returns how long to wait before restarting a container whose last
// run lasted ran. The first restart is immediate, as in the kubelet; each
// one after it waits twice as long as the one before.
func (b *Backoff) Delay(ran time.Duration) time.Duration {
	if ran >= backoffReset {
		b.Next = 0
	}
	d := b.Next
	switch {
	case b.Next == 0:
		b.Next = backoffInitial
	case b.Next < backoffMax:
		b.Next = min(2*b.Next, backoffMax)
	}
	return d
}
