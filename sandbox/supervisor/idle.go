package supervisor

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// A detached supervisor sits idle for the life of its pod, and every pod
// has one: what it keeps resident is paid once per pod, so it gives back
// what it does not need between events.

// idle returns freed heap to the kernel and drops the supervisor's
// page-table entries for the podctl binary (see shedFilePages).
func (s *Supervisor) idle() {
	debug.FreeOSMemory()
	shedFilePages()
}

// shedFilePages drops this process's mappings of file pages that it can
// fault back from the file unchanged: the read-only or executable parts of
// the podctl binary that holds no anonymous (copied-on-write) page, as
// smaps(5) reports them. The pages stay in the page cache, shared with
// every other podctl process; what the supervisor runs next faults back in.
// nsenter.c's shed_file_pages does the same for the pause.
func shedFilePages() {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return
	}
	type region struct{ start, end uint64 }
	var drop []region
	var cur region
	candidate := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		f := bytes.Fields(line)
		switch {
		case len(f) >= 5 && bytes.IndexByte(f[0], '-') > 0 && len(f[1]) == 4:
			// "start-end perms offset dev inode [path]"
			lo, hi, _ := bytes.Cut(f[0], []byte("-"))
			cur = region{parseHex(lo), parseHex(hi)}
			candidate = string(f[4]) != "0" && f[1][1] != 'w'
		case candidate && len(f) >= 2 && string(f[0]) == "Anonymous:":
			if string(f[1]) == "0" {
				drop = append(drop, cur)
			}
			candidate = false
		}
	}
	for _, r := range drop {
		unix.Syscall(unix.SYS_MADVISE, uintptr(r.start), uintptr(r.end-r.start), unix.MADV_DONTNEED)
	}
}

func parseHex(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return 0
		}
	}
	return n
}
