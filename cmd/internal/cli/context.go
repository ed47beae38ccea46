package cli

import (
	"context"
	"time"
)

// Context is what an Action sees of its command line: the flags of its
// command (and, looked up through them, of the commands above it) and its
// positional arguments.
type Context struct {
	Context context.Context
	App     *App
	Command *Command // nil at the program's own level
	parent  *Context
	flags   []Flag
	byName  map[string]Flag // every name and alias of flags
	values  map[Flag]any
	set     map[Flag]bool
	args    Args
}

func newContext(ctx context.Context, app *App, cmd *Command, parent *Context, flags []Flag) *Context {
	c := &Context{Context: ctx, App: app, Command: cmd, parent: parent, flags: flags,
		byName: make(map[string]Flag, len(flags)), values: make(map[Flag]any, len(flags)), set: map[Flag]bool{}}
	for _, f := range flags {
		c.values[f] = f.initial()
		for _, n := range f.Names() {
			c.byName[n] = f
		}
	}
	return c
}

// own is c's own flag called name, or nil. (The index is made once: a
// command's every argument and every flag its Action reads look a name up,
// ~60 flags for run.)
func (c *Context) own(name string) Flag { return c.byName[name] }

// lookup is the flag called name of c or of the nearest command above it
// that has one, with the context holding its value.
func (c *Context) lookup(name string) (Flag, *Context) {
	for x := c; x != nil; x = x.parent {
		if f := x.own(name); f != nil {
			return f, x
		}
	}
	return nil, nil
}

func (c *Context) value(name string) any {
	f, x := c.lookup(name)
	if f == nil {
		return nil
	}
	return x.values[f]
}

// IsSet reports whether the command line (or one of the flag's
// environment variables) set the flag, as against its default.
func (c *Context) IsSet(name string) bool {
	f, x := c.lookup(name)
	return f != nil && x.set[f]
}

// String is a StringFlag's value ("" for an unknown name).
func (c *Context) String(name string) string { v, _ := c.value(name).(string); return v }

// Bool is a BoolFlag's value.
func (c *Context) Bool(name string) bool { v, _ := c.value(name).(bool); return v }

// StringSlice is a StringSliceFlag's values, in the order given.
func (c *Context) StringSlice(name string) []string { v, _ := c.value(name).([]string); return v }

// Int is an IntFlag's value.
func (c *Context) Int(name string) int { v, _ := c.value(name).(int); return v }

// Int64 is an Int64Flag's value.
func (c *Context) Int64(name string) int64 { v, _ := c.value(name).(int64); return v }

// Duration is a DurationFlag's value.
func (c *Context) Duration(name string) time.Duration {
	v, _ := c.value(name).(time.Duration)
	return v
}

// Args are the command's positional arguments.
func (c *Context) Args() Args { return c.args }

// NArg is how many positional arguments there are.
func (c *Context) NArg() int { return len(c.args) }

// Args are positional arguments.
type Args []string

// Get is the n-th argument, "" past the end.
func (a Args) Get(n int) string {
	if n >= 0 && n < len(a) {
		return a[n]
	}
	return ""
}

// First is the first argument, "" when there is none.
func (a Args) First() string { return a.Get(0) }

// Tail is every argument after the first.
func (a Args) Tail() []string {
	if len(a) < 2 {
		return []string{}
	}
	return a[1:]
}

// Len is how many arguments there are.
func (a Args) Len() int { return len(a) }

// Present reports whether there is any argument.
func (a Args) Present() bool { return len(a) > 0 }

// Slice is the arguments as a slice.
func (a Args) Slice() []string { return a }
