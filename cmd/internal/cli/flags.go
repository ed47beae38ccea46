package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Flag is one flag of a command: its names (the first is the one Context
// methods look it up by, the others its aliases), whether it takes a
// value, and its help.
type Flag interface {
	Names() []string
	TakesValue() bool
	GetUsage() string
	// DefaultText is the default shown in help, "" for none: a flag
	// whose default is its type's zero value shows none.
	DefaultText() string
	// EnvNames are environment variables that set the flag when the
	// command line does not.
	EnvNames() []string
	IsRequired() bool
	// initial is the value before parsing; parse turns one argument
	// into a value, given the value so far (slices append).
	initial() any
	parse(arg string, sofar any, split bool) (any, error)
}

func names(name string, aliases []string) []string {
	return append([]string{name}, aliases...)
}

// ValueFlag is a flag of one value of type T; given twice, the last one
// counts. Its default is Value.
type ValueFlag[T bool | string | int | int64 | time.Duration] struct {
	Name     string
	Aliases  []string
	Usage    string
	Value    T
	EnvVars  []string
	Required bool
}

// BoolFlag takes no value (--rm), or one joined by "=" (--share-pid=false).
type BoolFlag = ValueFlag[bool]

// StringFlag takes a string.
type StringFlag = ValueFlag[string]

// IntFlag takes an integer: decimal, or 0x, 0o, 0b prefixed, as Go's flag
// package reads it.
type IntFlag = ValueFlag[int]

// Int64Flag is IntFlag for 64-bit values on every platform.
type Int64Flag = ValueFlag[int64]

// DurationFlag takes a duration as Go writes them: 90s, 10m, 1h30m.
type DurationFlag = ValueFlag[time.Duration]

func (f *ValueFlag[T]) Names() []string    { return names(f.Name, f.Aliases) }
func (f *ValueFlag[T]) GetUsage() string   { return f.Usage }
func (f *ValueFlag[T]) EnvNames() []string { return f.EnvVars }
func (f *ValueFlag[T]) IsRequired() bool   { return f.Required }
func (f *ValueFlag[T]) initial() any       { return f.Value }

func (f *ValueFlag[T]) TakesValue() bool {
	_, isBool := any(f.Value).(bool)
	return !isBool
}

func (f *ValueFlag[T]) DefaultText() string {
	var zero T
	if f.Value == zero {
		return ""
	}
	if s, ok := any(f.Value).(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(f.Value)
}

func (f *ValueFlag[T]) parse(arg string, _ any, _ bool) (any, error) {
	var v any
	var err error
	switch any(f.Value).(type) {
	case bool:
		if v, err = strconv.ParseBool(arg); err != nil {
			err = errors.New("not a boolean (true or false)")
		}
	case string:
		v = arg
	case int:
		var n int64
		n, err = parseInt(arg, strconv.IntSize)
		v = int(n)
	case int64:
		v, err = parseInt(arg, 64)
	case time.Duration:
		if v, err = time.ParseDuration(arg); err != nil {
			err = errors.New("not a duration (e.g. 90s, 10m, 1h30m)")
		}
	}
	return v, err
}

func parseInt(arg string, bits int) (int64, error) {
	v, err := strconv.ParseInt(arg, 0, bits)
	if errors.Is(err, strconv.ErrRange) {
		return 0, errors.New("out of range")
	}
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return v, nil
}

// StringSliceFlag may be given many times; each value is kept, in order.
// Unless the App disables it, a value is also split at commas (-f a,b).
type StringSliceFlag struct {
	Name     string
	Aliases  []string
	Usage    string
	EnvVars  []string
	Required bool
}

func (f *StringSliceFlag) Names() []string     { return names(f.Name, f.Aliases) }
func (f *StringSliceFlag) TakesValue() bool    { return true }
func (f *StringSliceFlag) GetUsage() string    { return f.Usage }
func (f *StringSliceFlag) EnvNames() []string  { return f.EnvVars }
func (f *StringSliceFlag) IsRequired() bool    { return f.Required }
func (f *StringSliceFlag) initial() any        { return []string(nil) }
func (f *StringSliceFlag) DefaultText() string { return "" }

func (f *StringSliceFlag) parse(arg string, sofar any, split bool) (any, error) {
	s, _ := sofar.([]string)
	if split {
		return append(s, strings.Split(arg, ",")...), nil
	}
	return append(s, arg), nil
}
