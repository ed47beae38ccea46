package plainjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Unmarshal fills v (a pointer) from b as json.Unmarshal does, for the
// kinds MarshalIndent writes: an object key matches a field's name
// exactly, else regardless of case; unknown keys are skipped; null leaves
// a value alone but empties a pointer, slice or map; [] gives an empty
// slice; a number must fit its integer field; a json.Unmarshaler
// (time.Time) reads its own value; a document nests at most 10,000 deep.
// Unlike json.Unmarshal, it stops at the first error, and says where.
func Unmarshal(b []byte, v any) error {
	r := &reader{b: b}
	if err := r.value(reflect.ValueOf(v).Elem()); err != nil {
		return err
	}
	if r.ws(); r.i < len(r.b) {
		return r.errorf("data after the top-level value")
	}
	return nil
}

// maxDepth bounds the nesting of the whole document: encoding/json's own
// limit (its scanner's maxNestingDepth).
const maxDepth = 10000

type reader struct {
	b []byte
	i int
	// depth: the objects and arrays open at r.i, the whole document's,
	// which encoding/json bounds at maxDepth.
	depth int
}

// enter and leave count an object or array opened and closed.
func (r *reader) enter() error {
	if r.depth++; r.depth > maxDepth {
		return r.errorf("nested too deep")
	}
	return nil
}

func (r *reader) leave() { r.depth-- }

// next reads what follows a member of the object or array that end
// closes: ',' (another member follows: true) or end.
func (r *reader) next(end byte) (bool, error) {
	switch r.peek() {
	case ',':
		r.i++
		return true, nil
	case end:
		r.i++
		return false, nil
	}
	return false, r.errorf("expected ',' or '%c'", end)
}

// open reads c, the opening of the object or array v is read from (the
// caller defers leave).
func (r *reader) open(c byte, v reflect.Value) error {
	if r.peek() != c {
		return r.mismatch(v)
	}
	if err := r.enter(); err != nil {
		return err
	}
	r.i++
	return nil
}

func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("json, byte %d: %s", r.i, fmt.Sprintf(format, args...))
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek is the next byte that is not white space, 0 at the end.
func (r *reader) peek() byte {
	if r.ws(); r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *reader) literal(word string) bool {
	if len(r.b)-r.i >= len(word) && string(r.b[r.i:r.i+len(word)]) == word { // no copy: a comparison
		r.i += len(word)
		return true
	}
	return false
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value reads one value into v.
func (r *reader) value(v reflect.Value) error {
	c := r.peek()
	if c == 'n' {
		if !r.literal("null") {
			return r.errorf("invalid literal")
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			v.SetZero()
		}
		return nil
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return r.value(v.Elem())
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		start := r.i
		if err := r.skip(); err != nil {
			return err
		}
		if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(r.b[start:r.i]); err != nil {
			return fmt.Errorf("json, byte %d: %w", start, err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return r.object(v)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return r.errorf("cannot read into %s", v.Type())
		}
		return r.object(v)
	case reflect.Slice:
		return r.array(v)
	case reflect.String:
		if c != '"' {
			return r.mismatch(v)
		}
		s, err := r.str()
		if err != nil {
			return err
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		switch {
		case r.literal("true"):
			v.SetBool(true)
		case r.literal("false"):
			v.SetBool(false)
		default:
			return r.mismatch(v)
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return r.integer(v)
	}
	return r.errorf("cannot read into %s", v.Type())
}

// mismatch: the value at r.i is not of v's kind.
func (r *reader) mismatch(v reflect.Value) error {
	return r.errorf("a %s cannot hold this value", v.Type())
}

// object reads {...} into a struct or a string-keyed map.
func (r *reader) object(v reflect.Value) error {
	if err := r.open('{', v); err != nil {
		return err
	}
	defer r.leave()
	var fields []jsonField
	if v.Kind() == reflect.Struct {
		fields = fieldsOf(v.Type())
	} else if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	if r.peek() == '}' {
		r.i++
		return nil
	}
	for {
		if r.peek() != '"' {
			return r.errorf("expected an object key")
		}
		key, err := r.str()
		if err != nil {
			return err
		}
		if r.peek() != ':' {
			return r.errorf("expected ':' after an object key")
		}
		r.i++
		if v.Kind() == reflect.Map {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := r.value(e); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), e)
		} else if f := fieldNamed(fields, key); f != nil {
			fv, err := fieldFor(v, f.index)
			if err != nil {
				return r.errorf("%v", err)
			}
			if err := r.value(fv); err != nil {
				return err
			}
		} else if err := r.skip(); err != nil {
			return err
		}
		if more, err := r.next('}'); !more {
			return err
		}
	}
}

// fieldNamed is the field a key names: its exact name, else the first
// that matches regardless of case, as encoding/json picks it.
func fieldNamed(fields []jsonField, key string) *jsonField {
	for i := range fields {
		if fields[i].name == key {
			return &fields[i]
		}
	}
	for i := range fields {
		if foldEqual(fields[i].name, key) {
			return &fields[i]
		}
	}
	return nil
}

// foldEqual is encoding/json's key match regardless of case: ASCII
// letters of either case, and the Unicode simple folds (the Kelvin sign
// matches k, the long s matches s).
func foldEqual(a, b string) bool { return strings.EqualFold(a, b) }

// fieldFor is the field at index, through embedded structs (all of them
// values in the state's types).
func fieldFor(v reflect.Value, index []int) (reflect.Value, error) {
	for _, i := range index {
		if v.Kind() == reflect.Pointer {
			return reflect.Value{}, errors.New("embedded pointer: not in a state's types")
		}
		v = v.Field(i)
	}
	return v, nil
}

// array reads [...] into a slice.
func (r *reader) array(v reflect.Value) error {
	if err := r.open('[', v); err != nil {
		return err
	}
	defer r.leave()
	v.SetLen(0)
	if r.peek() == ']' {
		r.i++
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return nil
	}
	for n := 0; ; n++ {
		// As encoding/json: an element is read into what the slice
		// already holds there, if anything.
		if n < v.Cap() {
			v.SetLen(n + 1)
		} else {
			v.Set(reflect.Append(v, reflect.New(v.Type().Elem()).Elem()))
		}
		if err := r.value(v.Index(n)); err != nil {
			return err
		}
		if more, err := r.next(']'); !more {
			return err
		}
	}
}

// integer reads a number into an integer of v's kind; like encoding/json,
// one with a fraction or exponent, or out of range, is refused.
func (r *reader) integer(v reflect.Value) error {
	start := r.i
	if err := r.number(); err != nil {
		return err
	}
	lit := string(r.b[start:r.i])
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return fmt.Errorf("json, byte %d: %s does not fit a %s", start, lit, v.Type())
		}
		v.SetInt(n)
	default:
		n, err := strconv.ParseUint(lit, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return fmt.Errorf("json, byte %d: %s does not fit a %s", start, lit, v.Type())
		}
		v.SetUint(n)
	}
	return nil
}

// number passes over a JSON number (RFC 8259, section 6).
func (r *reader) number() error {
	b, i := r.b, r.i
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		digits()
	default:
		return r.errorf("expected a value")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return r.errorf("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return r.errorf("invalid number")
		}
	}
	r.i = i
	return nil
}

// str reads a JSON string at r.i (its opening quote), unescaped; invalid
// UTF-8 and lone surrogates become U+FFFD, as in encoding/json.
func (r *reader) str() (string, error) {
	b := r.b
	i := r.i + 1
	// The common case: nothing to unescape.
	for j := i; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			if utf8.Valid(b[i:j]) {
				r.i = j + 1
				return string(b[i:j]), nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var out []byte
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			r.i = i + 1
			return string(out), nil
		case c < 0x20:
			r.i = i
			return "", r.errorf("control character in a string")
		case c == '\\':
			if i+1 >= len(b) {
				r.i = i
				return "", r.errorf("unfinished string")
			}
			i++
			switch b[i] {
			case '"', '\\', '/':
				out = append(out, b[i])
				i++
			case 'b':
				out, i = append(out, '\b'), i+1
			case 'f':
				out, i = append(out, '\f'), i+1
			case 'n':
				out, i = append(out, '\n'), i+1
			case 'r':
				out, i = append(out, '\r'), i+1
			case 't':
				out, i = append(out, '\t'), i+1
			case 'u':
				r1, ok := hex4(b, i+1)
				if !ok {
					r.i = i
					return "", r.errorf("invalid \\u escape")
				}
				i += 5
				if utf16.IsSurrogate(r1) {
					// i is at the second escape's backslash, if there is one.
					if r2, ok := hex4(b, i+2); ok && b[i] == '\\' && b[i+1] == 'u' {
						if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
							r1 = dec
							i += 6
						} else {
							r1 = utf8.RuneError
						}
					} else {
						r1 = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r1)
			default:
				r.i = i
				return "", r.errorf("invalid escape")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			rn, size := utf8.DecodeRune(b[i:])
			out = utf8.AppendRune(out, rn) // U+FFFD for an invalid byte
			i += size
		}
	}
	r.i = i
	return "", r.errorf("unfinished string")
}

// hex4 is the rune of the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip passes over one value, checking its syntax, the document nested at
// most maxDepth deep (with a stack of the open containers, not recursion).
func (r *reader) skip() error {
	var open []byte // '{' or '[' for each container we are in
	for {
		// A value.
		switch c := r.peek(); c {
		case '{', '[':
			if err := r.enter(); err != nil {
				return err
			}
			r.i++
			if end := closer(c); r.peek() == end {
				r.i++
				r.leave()
				break
			}
			open = append(open, c)
			if c == '{' {
				if err := r.key(); err != nil {
					return err
				}
			}
			continue
		case '"':
			if _, err := r.str(); err != nil {
				return err
			}
		case 't', 'f', 'n':
			if !r.literal("true") && !r.literal("false") && !r.literal("null") {
				return r.errorf("invalid literal")
			}
		default:
			if err := r.number(); err != nil {
				return err
			}
		}
		// After it: the containers it ends, then the next member.
		for {
			if len(open) == 0 {
				return nil
			}
			top := open[len(open)-1]
			c := r.peek()
			if c == closer(top) {
				r.i++
				open = open[:len(open)-1]
				r.leave()
				continue
			}
			if c != ',' {
				return r.errorf("expected ',' or '%c'", closer(top))
			}
			r.i++
			if top == '{' {
				if err := r.key(); err != nil {
					return err
				}
			}
			break
		}
	}
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// key reads an object's key and its colon.
func (r *reader) key() error {
	if r.peek() != '"' {
		return r.errorf("expected an object key")
	}
	if _, err := r.str(); err != nil {
		return err
	}
	if r.peek() != ':' {
		return r.errorf("expected ':' after an object key")
	}
	r.i++
	return nil
}
