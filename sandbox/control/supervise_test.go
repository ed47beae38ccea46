package control

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/podctl/podctl/rootfs"
	"github.com/podctl/podctl/sandbox/model"
)

// The supervisor's request and reply travel as EncodeSupervise writes and
// DecodeSupervise reads them (plainjson). Every field of the
// pod's spec types is proven against encoding/json by sandbox/model's state
// tests; this proves the messages' own fields and that both codecs agree
// on a request, either way round.
func TestSuperviseMessagesAsEncodingJSON(t *testing.T) {
	req := SuperviseRequest{
		Dir:    "/run/user/1000/podctl/pods/p \"q\"",
		LockFD: 4,
		Spec: model.PodSpec{Name: "p", Hostname: "h", SharePID: true, Remove: true,
			ActiveDeadline: 90 * time.Second, ResultFile: "/tmp/r.json"},
		Containers: []model.ContainerSpec{
			{Name: "a", Command: []string{"/bin/sh", "-c", "echo é\u2028"}, Env: []string{"A=1"},
				Mounts: []rootfs.Mount{{Type: "bind", Source: "/w", Target: "/w", ReadOnly: true}}},
			{Name: "b", TTY: true},
		},
	}
	reply := SuperviseReply{Error: "no <such> pod", ExitCode: 127, Created: true, Notice: "n\n"}
	for name, pair := range map[string][2]any{
		"request": {&req, &SuperviseRequest{}},
		"reply":   {&reply, &SuperviseReply{}},
	} {
		v, back := pair[0], pair[1]
		b, err := EncodeSupervise(v)
		if err != nil {
			t.Fatalf("%s: plainjson cannot write it: %v", name, err)
		}
		if err := json.Unmarshal(b, back); err != nil || !reflect.DeepEqual(back, v) {
			t.Errorf("%s: written by plainjson, encoding/json reads %+v (%v), want %+v", name, back, err, v)
		}
		b, err = json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := DecodeSupervise(b, again); err != nil || !reflect.DeepEqual(again, v) {
			t.Errorf("%s: written by encoding/json, plainjson reads %+v (%v), want %+v", name, again, err, v)
		}
	}
}
