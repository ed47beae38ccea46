package model

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StopSignal is the signal podctl stop sends container c: its image's
// StopSignal in place of the default SIGTERM.
func StopSignal(c *ContainerSpec, sig unix.Signal) unix.Signal {
	if sig != unix.SIGTERM || c == nil || c.StopSignal == "" {
		return sig
	}
	if s, err := ParseSignal(c.StopSignal); err == nil {
		return s
	}
	return sig
}

// ParseSignal accepts KILL, SIGKILL or 9.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q (use a name such as TERM or a number)", s)
}
