package main

import (
	"github.com/podctl/podctl/cmd/internal/cliargs"
)

// reorder applies cliargs.Permute to the command line podctl was given.
func (a *app) reorder(args []string) []string {
	if len(args) < 2 {
		return args
	}
	keeps := map[string]int{"exec": 1, "logs": -1, "wait": -1, "inspect": -1, "stop": -1,
		"kill": -1, "rm": -1, "top": -1, "ps": -1, "gc": -1, "ns": -1}
	for _, c := range a.cli.Commands {
		if c.Name == args[1] {
			if keep, ok := keeps[c.Name]; ok {
				return append(args[:2:2], cliargs.Permute(c, args[2:], keep)...)
			}
			if c.Name == "pod" && len(args) > 2 {
				for _, sub := range c.Subcommands {
					if sub.Name == args[2] {
						return append(args[:3:3], cliargs.Permute(sub, args[3:], -1)...)
					}
				}
			}
		}
	}
	return args
}
