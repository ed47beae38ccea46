package main

import (
	"fmt"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/version"
)

// versionCommand prints podctl's version, as podctl --version does: the
// string every helper binary and the CRI's RuntimeVersion report.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print podctl's version (the same as podctl --version and the CRI server's RuntimeVersion)",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("version takes no arguments")}
			}
			fmt.Println("podctl version " + version.Version)
			return nil
		},
	}
}
