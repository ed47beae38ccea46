package cliargs

import "github.com/urfave/cli/v2"

// CacheFlagNames gives every flag of cmds (and of their subcommands) a
// Names method that returns names computed once. urfave/cli v2 computes a
// flag's names on every call (FlagNames: a regexp replacement per name),
// and calls them for every flag on every IsSet of an unset flag
// (Context.lookupFlag), which it does for every flag before each command's
// action (runFlagActions): for `podctl run`'s ~60 flags, some 3,600
// regexp replacements, ~1.3 ms of every start. The wrappers embed the
// library's own flag, so every other method, and every interface the
// library checks (help, required flags, actions), is the library's.
func CacheFlagNames(cmds []*cli.Command) {
	for _, c := range cmds {
		c.Flags = cachedNames(c.Flags)
		CacheFlagNames(c.Subcommands)
	}
}

func cachedNames(fs []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(fs))
	for i, f := range fs {
		names := f.Names()
		switch t := f.(type) {
		case *cli.BoolFlag:
			out[i] = &boolFlag{t, names}
		case *cli.StringFlag:
			out[i] = &stringFlag{t, names}
		case *cli.StringSliceFlag:
			out[i] = &stringSliceFlag{t, names}
		case *cli.IntFlag:
			out[i] = &intFlag{t, names}
		case *cli.Int64Flag:
			out[i] = &int64Flag{t, names}
		case *cli.DurationFlag:
			out[i] = &durationFlag{t, names}
		default:
			out[i] = f // computes its names as the library does
		}
	}
	return out
}

type boolFlag struct {
	*cli.BoolFlag
	names []string
}

func (f *boolFlag) Names() []string { return f.names }

type stringFlag struct {
	*cli.StringFlag
	names []string
}

func (f *stringFlag) Names() []string { return f.names }

type stringSliceFlag struct {
	*cli.StringSliceFlag
	names []string
}

func (f *stringSliceFlag) Names() []string { return f.names }

type intFlag struct {
	*cli.IntFlag
	names []string
}

func (f *intFlag) Names() []string { return f.names }

type int64Flag struct {
	*cli.Int64Flag
	names []string
}

func (f *int64Flag) Names() []string { return f.names }

type durationFlag struct {
	*cli.DurationFlag
	names []string
}

func (f *durationFlag) Names() []string { return f.names }

// WithCachedNames is CacheFlagNames for an app built in one expression.
func WithCachedNames(app *cli.App) *cli.App {
	CacheFlagNames(app.Commands)
	return app
}
