package cli

import (
	"context"
	"fmt"
)

// Command is a command of the program, or a subcommand of one.
type Command struct {
	Name        string
	Aliases     []string
	Usage       string // one line, for the list of commands
	UsageText   string // the synopsis, when ArgsUsage cannot say it
	ArgsUsage   string // the positional arguments, after the flags in the synopsis
	Description string
	Hidden      bool // left out of help and of the command reference
	Flags       []Flag
	Subcommands []*Command
	// SkipFlagParsing hands every argument, flags and --help included, to
	// the Action as positional: for commands another program carries out.
	SkipFlagParsing bool
	// UseShortOptionHandling reads -it as -i -t.
	UseShortOptionHandling bool
	// Before runs once the flags are read, before the Action.
	Before func(*Context) error
	Action func(*Context) error
}

// hasName reports whether name is c's name or one of its aliases.
func (c *Command) hasName(name string) bool {
	if c.Name == name {
		return true
	}
	for _, a := range c.Aliases {
		if a == name {
			return true
		}
	}
	return false
}

// find is the visible or hidden command of cmds called name, or nil.
func find(cmds []*Command, name string) *Command {
	for _, c := range cmds {
		if c.hasName(name) {
			return c
		}
	}
	return nil
}

// run carries out c with args, the arguments after its name; path is its
// full name ("podctl pod create"), for help and errors.
func (c *Command) run(ctx context.Context, app *App, parent *Context, path string, args []string) error {
	cc := newContext(ctx, app, c, parent, c.Flags)
	if c.SkipFlagParsing {
		cc.args = args
		return c.Action(cc)
	}
	split := !app.DisableSliceFlagSeparator
	rest, help, err := cc.parse(args, c.UseShortOptionHandling, split)
	if err == nil && help {
		return app.commandHelp(path, c)
	}
	if err == nil {
		err = cc.fromEnv(split)
	}
	if err != nil {
		return &UsageError{Path: path, Err: err}
	}
	if err := cc.required(); err != nil {
		return &UsageError{Path: path, Err: err}
	}
	cc.args = rest
	if c.Before != nil {
		if err := c.Before(cc); err != nil {
			return err
		}
	}
	if len(c.Subcommands) > 0 {
		if len(rest) > 0 {
			if sub := find(c.Subcommands, rest[0]); sub != nil {
				return sub.run(ctx, app, cc, path+" "+sub.Name, rest[1:])
			}
			if c.Action == nil {
				return &UsageError{Path: path, Err: fmt.Errorf("unknown command %q", rest[0])}
			}
		} else if c.Action == nil {
			return app.commandHelp(path, c)
		}
	}
	if c.Action == nil {
		return app.commandHelp(path, c)
	}
	return c.Action(cc)
}
