package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// permuteArgs lets flags follow a command's positional arguments, as
// kubectl and podman allow (podctl logs POD -c CTR): urfave/cli stops
// parsing flags at the first positional argument, so flags found after
// the positional ones are moved in front of them. keep is how many
// positional arguments may come before flags: after that many, the rest is
// a command line of its own (exec's CMD) and is left alone; -1 means no
// limit. A "--" always ends the flags.
func permuteArgs(cmd *cli.Command, args []string, keep int) []string {
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = args[i:]
			i = len(args)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		case keep >= 0 && len(positional) >= keep:
			rest = args[i:]
			i = len(args)
		default:
			positional = append(positional, a)
		}
	}
	out := append(flags, positional...)
	return append(out, rest...)
}

// reorder applies permuteArgs to the command line podctl was given.
func (a *app) reorder(args []string) []string {
	if len(args) < 2 {
		return args
	}
	keeps := map[string]int{"exec": 1, "logs": -1, "wait": -1, "inspect": -1, "stop": -1,
		"kill": -1, "rm": -1, "top": -1, "ps": -1, "gc": -1, "ns": -1}
	for _, c := range a.cli.Commands {
		if c.Name == args[1] {
			if keep, ok := keeps[c.Name]; ok {
				return append(args[:2:2], permuteArgs(c, args[2:], keep)...)
			}
			if c.Name == "pod" && len(args) > 2 {
				for _, sub := range c.Subcommands {
					if sub.Name == args[2] {
						return append(args[:3:3], permuteArgs(sub, args[3:], -1)...)
					}
				}
			}
		}
	}
	return args
}
