package sandbox

import (
	"io"
	"os"

	"github.com/podctl/podctl/sandbox/termio"
)

// pty relays master, the container's end of the pty that podctl exec -t
// gave the command (sandbox/stage/init.go, containerPTY), to podctl's own streams, with
// podctl's terminal in raw mode meanwhile, so that keys such as ^C reach
// the command's terminal rather than podctl's, and its window size
// followed.
func (r *relay) pty(master *os.File, interactive bool, in, out *os.File) {
	r.ours = append(r.ours, master)
	switch {
	case termio.IsTerminal(in) && interactive:
		r.restore = termio.RawSession(in, master)
	case termio.IsTerminal(in):
		r.restore = termio.FollowWindowSize(in, master)
	}
	if interactive {
		go io.Copy(master, in)
	}
	r.copyOut(out, master)
}
