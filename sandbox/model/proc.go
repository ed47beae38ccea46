package model

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ProcStartTime reads the start time of pid in clock ticks since boot
// (field 22 of /proc/PID/stat, proc(5)). A pid with another start time is
// another process.
func ProcStartTime(pid int) (uint64, error) {
	return procStatField(pid, 22)
}

// PFExiting is the kernel's PF_EXITING, in field 9 (flags) of
// /proc/PID/stat: set at the start of do_exit, before anything else of
// the process's end happens.
const PFExiting = 0x4

// ProcExiting tells whether pid has begun to exit (or is gone).
func ProcExiting(pid int) bool {
	flags, err := procStatField(pid, 9)
	return err != nil || flags&PFExiting != 0
}

// ProcEnded tells whether pid is gone, or a zombie (state Z, or X while
// it is being reaped: field 3 of /proc/PID/stat).
func ProcEnded(pid int) bool {
	f, err := procStat(pid)
	return err != nil || f[0] == "Z" || f[0] == "X"
}

// procStatField reads numeric field n (1-based, as in proc(5), n > 3) of
// /proc/PID/stat.
func procStatField(pid, n int) (uint64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	return statNumber(f, n)
}

// statNumber is numeric field n of fields read by procStat.
func statNumber(f []string, n int) (uint64, error) {
	if n < 4 || len(f) < n-2 {
		return 0, fmt.Errorf("malformed /proc/PID/stat: no field %d", n)
	}
	return strconv.ParseUint(f[n-3], 10, 64)
}

// procStat reads /proc/PID/stat from field 3 (state) on: the command name
// (field 2) may hold spaces and parentheses, so the split is after its
// last ')'.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) == 0 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return f, nil
}

func statOwner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// SiginfoStatus reads si_code and si_status of a SIGCHLD siginfo_t
// (sigaction(2)); x/sys/unix leaves that union as padding. In the kernel's
// layout si_status follows si_pid and si_uid, 24 bytes in on 64-bit.
func SiginfoStatus(info *unix.Siginfo) (code, status int) {
	b := (*[128]byte)(unsafe.Pointer(info))
	return int(info.Code), int(int32(binary.NativeEndian.Uint32(b[24:28])))
}

// SiginfoPID reads si_pid of a SIGCHLD siginfo_t: 16 bytes in.
func SiginfoPID(info *unix.Siginfo) int {
	b := (*[128]byte)(unsafe.Pointer(info))
	return int(int32(binary.NativeEndian.Uint32(b[16:20])))
}

// SignalProc sends sig to the process r names, through a pidfd opened and
// then checked against r's start time: a recycled pid gets nothing.
func SignalProc(r ProcRef, sig unix.Signal) error {
	if r.PID <= 0 {
		return unix.ESRCH
	}
	fd, err := unix.PidfdOpen(r.PID, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if !r.Alive() {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}

// Running says whether anything of the pod still runs.
func Running(st *PodState, dir string) bool {
	return SupervisorAlive(dir) || st.BootID == BootID() && (st.Pause.Alive() || st.Network.Helper.Alive() || AnyAlive(st))
}

func Exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// AnyAlive says whether a process of one of the pod's containers lives.
func AnyAlive(st *PodState) bool {
	for _, c := range st.Containers {
		if c.Proc.Alive() {
			return true
		}
	}
	return false
}
