package sandbox

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pauseAlive reports whether the pause that state st recorded still runs:
// same boot, same pid, same start time.
func pauseAlive(st *PodState) bool {
	if st.PausePID <= 0 || st.BootID != bootID() {
		return false
	}
	t, err := procStartTime(st.PausePID)
	return err == nil && t == st.PauseStartTime
}

// Status is a one-word summary of a pod for podctl ps.
func Status(st *PodState) string {
	if pauseAlive(st) {
		return "Running"
	}
	if len(st.Containers) > 0 && st.Containers[0].ExitCode != nil {
		if *st.Containers[0].ExitCode == 0 {
			return "Succeeded"
		}
		return fmt.Sprintf("Failed (exit %d)", *st.Containers[0].ExitCode)
	}
	return "Unknown"
}

// Remove deletes pod name: its state and, with force, its running pause
// (and so every process of the pod).
func Remove(name string, force bool) error {
	st, dir, err := ReadState(name)
	if err != nil {
		return err
	}
	if pauseAlive(st) {
		if !force {
			return fmt.Errorf("pod %s is running; stop it first or use podctl rm -f %s", name, name)
		}
		fd, err := unix.PidfdOpen(st.PausePID, 0)
		if err == nil {
			// The pidfd was opened after the start-time check: check
			// again, so the signal cannot reach a recycled pid.
			if t, terr := procStartTime(st.PausePID); terr == nil && t == st.PauseStartTime {
				unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			}
			unix.Close(fd)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
