package sandbox

import "runtime/debug"

// idle gives memory back to the kernel once a detached supervisor has
// made its pod: from then on it mostly waits, and every pod has one, so
// what it keeps resident is paid once per pod.
func (s *supervisor) idle() {
	debug.FreeOSMemory()
}
