package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/podctl/podctl/sandbox/plainjson"
)

// fillMode says how fill sets a value: every field to something (full),
// or every slice and map present but empty and every pointer to a zero
// value (empty), which omitempty and the indentation of [] and {} meet.
type fillMode int

const (
	full fillMode = iota
	empty
)

// fill sets every field reachable from v, so that a type added to the state
// later is met too. Strings hold what encoding/json escapes.
func fill(v reflect.Value, mode fillMode, n *int) {
	*n++
	if v.Type() == reflect.TypeFor[time.Time]() {
		if mode == full {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 4, 20, 1, 2, 3000+*n, time.UTC)))
		}
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(mode == full && *n%3 != 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if mode == full {
			v.SetInt(int64(-*n * 1000003))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if mode == full {
			v.SetUint(uint64(*n * 7919))
		}
	case reflect.String:
		if mode == full {
			v.SetString("s<b>&\"q\"\\\n\r\t\b\f\x01\x1f\x7f é\u2028\u2029\xff💡" + strings.Repeat("x", *n%5))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), mode, n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 0, 2))
		if mode == full {
			for range 2 {
				e := reflect.New(v.Type().Elem()).Elem()
				fill(e, mode, n)
				v.Set(reflect.Append(v, e))
			}
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		if mode == full {
			for _, k := range []string{"b", "a<&>", "A", "\u2028"} {
				e := reflect.New(v.Type().Elem()).Elem()
				fill(e, mode, n)
				v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), mode, n)
			}
		}
	}
}

// TestMarshalStateAsEncodingJSON: state.json as sandbox/plainjson writes it
// is byte for byte json.MarshalIndent's, for a state with every field set,
// one with every slice, map and pointer present and empty, and a zero one:
// no kind of the state is one plainjson cannot write.
func TestMarshalStateAsEncodingJSON(t *testing.T) {
	states := map[string]*PodState{"zero": {}}
	for name, mode := range map[string]fillMode{"full": full, "empty": empty} {
		var st PodState
		n := 0
		fill(reflect.ValueOf(&st).Elem(), mode, &n)
		states[name] = &st
	}
	for name, st := range states {
		want, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := plainjson.MarshalIndent(st)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s state: the writer's JSON differs from encoding/json's at byte %d:\n%s\n---\n%s", name, firstDiff(got, want), got, want)
		}
		if b, err := MarshalState(st); err != nil || !bytes.Equal(b, append(want, '\n')) {
			t.Errorf("%s state: MarshalState: %v", name, err)
		}
		var back PodState
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%s state: encoding/json cannot read it back: %v", name, err)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
