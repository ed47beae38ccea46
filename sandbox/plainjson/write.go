package plainjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// UnsupportedError: a kind the writer does not write (a float, bytes, an
// interface, a map not keyed by strings...). A caller's test that fills
// its whole type graph meets it before any user does.
type UnsupportedError struct{ Type reflect.Type }

func (e UnsupportedError) Error() string {
	return "plainjson: cannot write " + e.Type.String() + " (extend sandbox/plainjson)"
}

// MarshalIndent is json.MarshalIndent(v, "", "  "), for the kinds above.
func MarshalIndent(v any) ([]byte, error) {
	return indentJSON(make([]byte, 0, 4096), reflect.ValueOf(v), 0)
}

// isEmpty is omitempty's test (encoding/json's isEmptyValue).
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// indentJSON appends v's indented JSON at nesting depth to b.
func indentJSON(b []byte, v reflect.Value, depth int) ([]byte, error) {
	t := v.Type()
	if t.Implements(marshalerType) && !(t.Kind() == reflect.Pointer && v.IsNil()) {
		raw, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return b, fmt.Errorf("json: error calling MarshalJSON for type %s: %w", t, err)
		}
		if len(raw) > 0 && raw[0] == '"' && isPlainString(raw) {
			return append(b, raw...), nil // time.Time's: nothing to re-indent
		}
		return b, UnsupportedError{t}
	}
	switch t.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.String:
		return appendJSONString(b, v.String()), nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return indentJSON(b, v.Elem(), depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return b, UnsupportedError{t} // encoding/json writes base64
		}
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if v.Len() == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		for i := range v.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, depth+1)
			var err error
			if b, err = indentJSON(b, v.Index(i), depth+1); err != nil {
				return b, err
			}
		}
		return append(newline(b, depth), ']'), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String || t.Key().PkgPath() != "" {
			return b, UnsupportedError{t}
		}
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if v.Len() == 0 {
			return append(b, "{}"...), nil
		}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch x, y := a.String(), b.String(); {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(newline(b, depth+1), k.String()), ": "...)
			var err error
			if b, err = indentJSON(b, v.MapIndex(k), depth+1); err != nil {
				return b, err
			}
		}
		return append(newline(b, depth), '}'), nil
	case reflect.Struct:
		b = append(b, '{')
		n := 0
		for _, f := range fieldsOf(t) {
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmpty(fv) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(appendJSONString(newline(b, depth+1), f.name), ": "...)
			var err error
			if b, err = indentJSON(b, fv, depth+1); err != nil {
				return b, err
			}
		}
		if n == 0 {
			return append(b, '}'), nil
		}
		return append(newline(b, depth), '}'), nil
	}
	return b, UnsupportedError{t}
}

func newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// isPlainString: raw is one JSON string with nothing to escape again.
func isPlainString(raw []byte) bool {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes it by default:
// ", \ and the control characters escaped (\b \f \n \r \t by name), <, >
// and & as \u003c \u003e \u0026 (HTML-safe), U+2028 and U+2029 escaped (a
// line break in JavaScript), and invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
