package stage

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/wire"
)

// The init's messages as they cross the sync socket: a datagram of any
// bytes through a real SOCK_SEQPACKET pair and recvJSON either gives an
// error naming the peer, or a message whose encoding is stable (what podctl
// sends on is what it decoded; an empty list may come back as none).
func FuzzInitMsg(f *testing.F) {
	f.Add([]byte(`{"type":"config","config":{"pod":"p","container":"c","args":["true"],"caps":["KILL"],"seccomp":"AAAA"}}`))
	f.Add([]byte(`{"type":"error","error":"x","exitCode":127}`))
	f.Add([]byte(`{"type":"pty"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b) > 2*wire.InlineMax {
			return // an empty datagram reads as end-of-file; longer ones are all refused alike
		}
		ours, theirs, err := NewSyncPair("the fuzzer")
		if err != nil {
			t.Fatal(err)
		}
		defer ours.Close()
		defer theirs.Close()
		if _, err := theirs.Write(b); err != nil {
			t.Fatal(err)
		}
		m, err := ours.recvJSON()
		if err != nil {
			if !strings.Contains(err.Error(), "the fuzzer") {
				t.Errorf("error without the peer's name: %v", err)
			}
			return
		}
		again, _ := json.Marshal(m)
		var m2 initMsg
		err = json.Unmarshal(again, &m2)
		twice, _ := json.Marshal(m2)
		if err != nil || !bytes.Equal(again, twice) {
			t.Errorf("%q decodes to %+v, which re-encodes to %q, then %q (%v)", b, m, again, twice, err)
		}
	})
}
