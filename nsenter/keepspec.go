package nsenter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxKept is how many container entries (KeepSpec.Runs, and Stdins) the
// keeper holds: MAX_CTRS in keeper.c. A running container takes two runs
// (its process; its pipes and log).
const MaxKept = 256

// KeepSpec is what the supervisor and the keeper (keeper.c) hand each
// other in EnvKeep when a detached supervisor hibernates: the descriptors
// the keeper holds, and when to wake.
type KeepSpec struct {
	// The supervisor's lock, the control socket's listener, the pause's
	// pidfd: required.
	Lock, Ctl, Pause int
	Net              int // the network helper's pidfd, -1 without one
	// Wake: when the keeper must wake the supervisor by itself (a restart
	// after back-off, the deadline, an emptyDir measurement); zero: never.
	Wake   time.Time
	Runs   []KeptRun
	Stdins []KeptIn
}

// KeptIn is the write end of a running container's stdin (sandbox/supervisor/attachserve.go); fd
// -1: closed by stdinOnce until the next run.
type KeptIn struct {
	Name string
	FD   int
}

// KeptRun is one container run: its process (pidfd -1 once it has ended)
// and its output pipes (-1 at end-of-file) with their log; Open, the
// streams whose line is open (a P record was their last: 1 stdout, 2
// stderr); Dropped, bytes of records the keeper did not write (the log's
// filesystem at its reserve, sandbox/crilog/room.go); Max, the size at
// which the log is rotated: the keeper wakes the supervisor to rotate it
// (0: never).
type KeptRun struct {
	Name                       string
	PIDFD, Out, Err, Log, Open int
	Dropped, Max               int64
}

func (k *KeepSpec) String() string {
	var wake int64
	if !k.Wake.IsZero() {
		wake = k.Wake.UnixMilli()
	}
	s := fmt.Sprintf("lock=%d ctl=%d pause=%d net=%d wake=%d", k.Lock, k.Ctl, k.Pause, k.Net, wake)
	for _, r := range k.Runs {
		s += fmt.Sprintf(" c=%s,%d,%d,%d,%d,%d,%d,%d", r.Name, r.PIDFD, r.Out, r.Err, r.Log, r.Open, r.Dropped, r.Max)
	}
	for _, in := range k.Stdins {
		s += fmt.Sprintf(" i=%s,%d", in.Name, in.FD)
	}
	return s
}

func ParseKeepSpec(s string) (*KeepSpec, error) {
	k := &KeepSpec{Lock: -1, Ctl: -1, Pause: -1, Net: -1}
	for _, tok := range strings.Fields(s) {
		key, val, _ := strings.Cut(tok, "=")
		var err error
		switch key {
		case "lock":
			k.Lock, err = strconv.Atoi(val)
		case "ctl":
			k.Ctl, err = strconv.Atoi(val)
		case "pause":
			k.Pause, err = strconv.Atoi(val)
		case "net":
			k.Net, err = strconv.Atoi(val)
		case "wake":
			var ms int64
			if ms, err = strconv.ParseInt(val, 10, 64); ms > 0 {
				k.Wake = time.UnixMilli(ms)
			}
		case "c":
			f := strings.Split(val, ",")
			if len(f) != 8 {
				return nil, fmt.Errorf("bad container entry %q", tok)
			}
			r := KeptRun{Name: f[0]}
			for i, p := range []*int{&r.PIDFD, &r.Out, &r.Err, &r.Log, &r.Open} {
				if *p, err = strconv.Atoi(f[i+1]); err != nil {
					break
				}
			}
			for i, p := range []*int64{&r.Dropped, &r.Max} {
				if err == nil {
					*p, err = strconv.ParseInt(f[i+6], 10, 64)
				}
			}
			k.Runs = append(k.Runs, r)
		case "i":
			name, fd, ok := strings.Cut(val, ",")
			if !ok {
				return nil, fmt.Errorf("bad stdin entry %q", tok)
			}
			in := KeptIn{Name: name}
			in.FD, err = strconv.Atoi(fd)
			k.Stdins = append(k.Stdins, in)
		default:
			err = fmt.Errorf("unknown entry %q", tok)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", EnvKeep, s, err)
		}
	}
	if k.Lock < 0 || k.Ctl < 0 || k.Pause < 0 {
		return nil, fmt.Errorf("%s %q: lock, ctl and pause are required", EnvKeep, s)
	}
	return k, nil
}
