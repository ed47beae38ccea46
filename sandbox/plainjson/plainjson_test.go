package plainjson

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The comparison with encoding/json on a whole type graph is its user's
// (sandbox/model: the pod's state); here, what no such graph shows.

// TestUnsupportedKinds: a kind the writer does not know (a float, bytes, a
// map not keyed by strings) is refused by name, not written wrong.
func TestUnsupportedKinds(t *testing.T) {
	for _, v := range []any{struct{ F float64 }{1.5}, struct{ B []byte }{[]byte("x")}, map[int]string{1: "a"}} {
		_, err := MarshalIndent(v)
		var u UnsupportedError
		if !errors.As(err, &u) {
			t.Errorf("%T: want UnsupportedError, got %v", v, err)
		}
	}
}

// TestReadLinear: reading a literal (true, false, null) copies nothing, so
// a document with many of them is read in time linear in its size: the
// allocations of a read do not grow with the literals' number.
func TestReadLinear(t *testing.T) {
	many := []byte(`{"unknown":[` + strings.Repeat("true,false,null,", 2000) + `true],"phase":"x"}`)
	allocs := testing.AllocsPerRun(5, func() {
		var v struct {
			Phase string `json:"phase"`
		}
		if err := Unmarshal(many, &v); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 20 {
		t.Errorf("reading 6,001 literals took %.0f allocations: a literal copies the input", allocs)
	}
}

// TestPrepare: Prepare makes the field lists of every struct reachable
// from a type, through pointers, slices and maps.
func TestPrepare(t *testing.T) {
	type byMap struct{ A int }
	type byPointer struct{ B int }
	type mid struct {
		P *byPointer       `json:"p"`
		M map[string]byMap `json:"m"`
	}
	type top struct {
		S []mid `json:"s"`
	}
	Prepare(reflect.TypeFor[top]())
	jsonFieldsMu.Lock()
	defer jsonFieldsMu.Unlock()
	for _, tp := range []reflect.Type{reflect.TypeFor[top](), reflect.TypeFor[mid](), reflect.TypeFor[byMap](), reflect.TypeFor[byPointer]()} {
		if _, ok := jsonFieldsOf[tp]; !ok {
			t.Errorf("Prepare left %s's fields unmade", tp)
		}
	}
}
