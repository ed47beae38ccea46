package cli

import (
	"context"
	"fmt"
	"io"
	"os"
)

// App is a program's command line: its commands, its version and its
// help. Its own flags are only --help and --version.
type App struct {
	Name     string
	Usage    string
	Version  string // printed by --version, when set
	Commands []*Command
	// DisableSliceFlagSeparator keeps a StringSliceFlag's value whole
	// (-e K=a,b sets K to "a,b"); otherwise it is split at commas.
	DisableSliceFlagSeparator bool
	Writer                    io.Writer // help and --version; os.Stdout when nil
}

// versionFlag is the program's --version. No -v: that is a command's
// volume flag (podctl run -v), and a program's flags must not shadow a
// command's.
var versionFlag = &BoolFlag{Name: "version", Usage: "print podctl's version"}

// Run carries out the command line args (args[0] is the program).
func (a *App) Run(args []string) error { return a.RunContext(context.Background(), args) }

// RunContext is Run with the Context its Actions see.
func (a *App) RunContext(ctx context.Context, args []string) error {
	var flags []Flag
	if a.Version != "" {
		flags = append(flags, versionFlag)
	}
	top := newContext(ctx, a, nil, nil, flags)
	var rest []string
	if len(args) > 1 {
		var help bool
		var err error
		if rest, help, err = top.parse(args[1:], false, false); err != nil {
			return &UsageError{Path: a.Name, Err: err}
		}
		if help {
			return a.appHelp()
		}
	}
	if top.Bool("version") {
		_, err := fmt.Fprintf(a.writer(), "%s version %s\n", a.Name, a.Version)
		return err
	}
	if len(rest) == 0 {
		return a.appHelp()
	}
	c := find(a.Commands, rest[0])
	if c == nil {
		return &UsageError{Path: a.Name, Err: fmt.Errorf("unknown command %q", rest[0])}
	}
	return c.run(ctx, a, top, a.Name+" "+c.Name, rest[1:])
}

func (a *App) writer() io.Writer {
	if a.Writer != nil {
		return a.Writer
	}
	return os.Stdout
}
