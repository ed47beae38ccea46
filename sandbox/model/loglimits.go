package model

import (
	"fmt"

	"github.com/podctl/podctl/sandbox/crilog"
)

// The defaults of PodSpec.LogMaxSize and LogMaxFiles: the kubelet's.
const (
	DefaultLogMaxSize  = crilog.DefaultMaxSize
	DefaultLogMaxFiles = crilog.DefaultMaxFiles
)

// validateLogLimits checks the log rotation settings and fills in the
// kubelet's defaults, so that state.json says what the supervisor and
// its keeper apply.
func (s *PodSpec) validateLogLimits() error {
	if s.LogMaxSize < 0 {
		return fmt.Errorf("--log-max-size %d: must be positive (or 0 for the default, %d bytes)", s.LogMaxSize, crilog.DefaultMaxSize)
	}
	// The kubelet refuses containerLogMaxFiles below 2 too: rotation keeps
	// the live file and at least one rotated file.
	if s.LogMaxFiles < 0 || s.LogMaxFiles == 1 {
		return fmt.Errorf("--log-max-files %d: must be at least 2, the live file and one rotated (or 0 for the default, %d)", s.LogMaxFiles, crilog.DefaultMaxFiles)
	}
	if s.LogMaxSize == 0 {
		s.LogMaxSize = crilog.DefaultMaxSize
	}
	if s.LogMaxFiles == 0 {
		s.LogMaxFiles = crilog.DefaultMaxFiles
	}
	return nil
}

// LogLimits are the rotation limits of container c's log. A log at a path
// the caller chose (a CRI caller's, ContainerSpec.LogPath) is the caller's
// to rotate, as the kubelet rotates those it asked for.
func (s *PodSpec) LogLimits(c *ContainerSpec) crilog.Limits {
	if c.LogPath != "" {
		return crilog.Limits{}
	}
	lim := crilog.Limits{MaxSize: s.LogMaxSize, MaxFiles: s.LogMaxFiles}
	if lim.MaxSize <= 0 { // a pod made before the setting existed
		lim.MaxSize = crilog.DefaultMaxSize
	}
	if lim.MaxFiles < 2 {
		lim.MaxFiles = crilog.DefaultMaxFiles
	}
	return lim
}
