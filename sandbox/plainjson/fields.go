package plainjson

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// jsonField is a struct field as encoding/json names it.
type jsonField struct {
	name      string
	index     []int // through untagged embedded structs
	omitEmpty bool
}

var (
	jsonFieldsMu sync.Mutex
	jsonFieldsOf = map[reflect.Type][]jsonField{}
)

// fieldsOf lists t's encoded fields in encoding/json's order: declaration
// order, an untagged embedded struct's fields in its place. (encoding/json
// also resolves two fields of one name at different depths; a caller's
// test that compares with encoding/json would see such a pair.)
func fieldsOf(t reflect.Type) []jsonField {
	jsonFieldsMu.Lock()
	defer jsonFieldsMu.Unlock()
	if fs, ok := jsonFieldsOf[t]; ok {
		return fs
	}
	var fs []jsonField
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, hasTag := f.Tag.Lookup("json")
			at := append(slices.Clip(index), i)
			if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
				walk(f.Type, at)
				continue
			}
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fs = append(fs, jsonField{name: name, index: at, omitEmpty: hasOption(opts, "omitempty")})
		}
	}
	walk(t, nil)
	jsonFieldsOf[t] = fs
	return fs
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// Prepare makes the field lists of every struct type reachable from t
// ahead of a first MarshalIndent or Unmarshal, off the caller's hot path.
func Prepare(t reflect.Type) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			walk(t.Elem())
		case reflect.Struct:
			for _, f := range fieldsOf(t) {
				walk(t.FieldByIndex(f.index).Type)
			}
		}
	}
	walk(t)
}
