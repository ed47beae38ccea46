package model

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/plainjson"
)

// decodeBoth reads b into a PodState with encoding/json and with the
// reader, and fails t where they disagree: on whether b is a state at
// all, or on the state it is.
func decodeBoth(t *testing.T, what string, b []byte) {
	t.Helper()
	var want, got PodState
	werr := json.Unmarshal(b, &want)
	gerr := plainjson.Unmarshal(b, &got)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Errorf("%s: encoding/json says %v, the reader %v, on\n%.600s", what, werr, gerr, b)
	case werr == nil && !reflect.DeepEqual(got, want):
		t.Errorf("%s: the reader's state differs from encoding/json's:\n%+v\n---\n%+v", what, got, want)
	}
}

// statesForReading: the writer's test states (every field set; every
// slice, map and pointer present and empty; zero), written by
// encoding/json, indented and compact.
func statesForReading(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for name, mode := range map[string]fillMode{"full": full, "empty": empty} {
		var st PodState
		n := 0
		fill(reflect.ValueOf(&st).Elem(), mode, &n)
		ind, err := json.MarshalIndent(&st, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = ind
		compact, _ := json.Marshal(&st)
		out[name+" compact"] = compact
	}
	out["zero"], _ = json.Marshal(&PodState{})
	return out
}

// TestReadStateAsEncodingJSON: the reader fills a state exactly as
// json.Unmarshal does, for the test states and for hand-made inputs that
// meet its rules (case-insensitive keys, unknown keys, null, escapes,
// numbers out of range, syntax errors).
func TestReadStateAsEncodingJSON(t *testing.T) {
	for name, b := range statesForReading(t) {
		decodeBoth(t, name, b)
	}
	for _, in := range []string{
		`{"SPEC":{"Name":"a"},"phase":"Running","bootid":"x"}`,
		`{"spec":{"name":"a","name":"b"},"unknown":{"deep":[1,2,{"x":[true,false,null,"s\u00e9\ud83d\udca1"]}],"n":-1.5e3}}`,
		`{"phase":"\ud800 lone, \u00e9, \/ \b\f\n\r\t \"q\" \\"}`,
		`{"phase":"\ud83d\ude00 a pair, \uD83D\uDE00 upper, \ud83d\u0041 broken, \ud83d\", \ude00 low alone"}`,
		`{"spec":{"labels":{"\ud83d\udca1":"\ud83d\udca1"}}}`,
		"{\"phase\":\"invalid \xff utf-8\"}",
		`{"pause":{"pid":2147483648000000000000},"phase":"x"}`,
		`{"pause":{"pid":1.5}}`,
		`{"pause":{"pid":-0}}`,
		`{"pause":{"pid":01}}`,
		`{"pause":{"pid":"1"}}`,
		`{"pause":null,"containers":null,"idMap":{"uids":[]}}`,
		`{"pause":{"pid":1},"pause":null,"containers":[{}],"containers":null,"idMap":{"uids":[{"Count":1}],"uids":null}}`,
		`{"containers":[{"spec":{"annotations":{"a":"1"}}}],"containers":[{"spec":{"annotations":null}}]}`,
		`{"containers":[{"spec":{"groups":[4294967295]}}]}`,
		`{"containers":[{"spec":{"groups":[4294967296]}}]}`,
		`{"containers":[{"spec":{"groups":[-1]}}]}`,
		`{"network":{"ports":[{"hostPort":65536}]}}`,
		`{"spec":{"network":{"ports":[{"hostPort":65535,"containerPort":65536}]}}}`,
		`{"created":"2026-12-04T20:01:02.000003Z","startTime":null}`,
		`{"created":"not a time"}`,
		`{"created":12}`,
		`{"phase":"x"} trailing`,
		`{"phase":"x",}`,
		`{"phase" "x"}`,
		`{"phase":"x"`,
		`{"phase":"x\u12"}`,
		"{\"phase\":\"tab\there\"}",
		`[]`,
		`null`,
		`   {"phase":"x"}   `,
		`{"unknown":[[[[[[]]]]]],"u2":{},"u3":[],"u4":{"a":{"b":{}}}}`,
		`{"unknown":[1,]}`,
		`{"unknown":{"a":1,}}`,
		`{"unknown":[1}`,
		`{"unknown":tru}`,
		`{"containers":[{"spec":{"name":"c","env":["A=1"],"annotations":{"k":"v","k2":null}}}]}`,
		`{"spec":{"ſ":1}}`,
		`{"spec":{"hoſtname":"x","K":1}}`,
	} {
		decodeBoth(t, in, []byte(in))
	}
	// encoding/json's limit is the whole document's depth: 10,000.
	for _, n := range []int{9998, 9999, 10000} {
		deep := `{"unknown":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		decodeBoth(t, fmt.Sprintf("an unknown value %d deep", n), []byte(deep))
		deep = `{"created":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
		decodeBoth(t, fmt.Sprintf("a time %d deep", n), []byte(deep))
	}
}

// TestReadStateDamaged: thousands of damaged copies of the full state
// (a byte changed, removed, inserted or doubled), which the reader must
// take or refuse exactly as encoding/json does.
func TestReadStateDamaged(t *testing.T) {
	states := statesForReading(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`{}[]:,"\ 0123456789-+.eEtrufalsn` + "\x00\x1f\x7f\xff\xc3")
	for name, b := range states {
		for i := range 2000 {
			d := append([]byte(nil), b...)
			p := rng.IntN(len(d))
			switch i % 4 {
			case 0:
				d[p] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				d = append(d[:p], d[p+1:]...)
			case 2:
				d = append(d[:p], append([]byte{alphabet[rng.IntN(len(alphabet))]}, d[p:]...)...)
			case 3:
				q := min(len(d), p+1+rng.IntN(40))
				d = append(d[:q], d[p:]...)
			}
			decodeBoth(t, name+" damaged", d)
			if t.Failed() {
				return
			}
		}
	}
}
