// Package cliargs holds what podctl's binaries share about their command
// lines: flags may follow positional arguments, as in kubectl and podman.
package cliargs

import (
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
)

// Permute lets flags follow a command's positional arguments, as
// kubectl and podman allow (podctl logs POD -c CTR): package cli stops
// parsing flags at the first positional argument, so flags found after
// the positional ones are moved in front of them. keep is how many
// positional arguments may come before flags: after that many, the rest is
// a command line of its own (exec's CMD) and is left alone; -1 means no
// limit. A "--" always ends the flags.
func Permute(cmd *cli.Command, args []string, keep int) []string {
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			takesValue[n] = f.TakesValue()
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
