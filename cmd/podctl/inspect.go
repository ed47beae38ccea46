package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print a pod's state (or one container's, as POD/CONTAINER) as JSON",
		ArgsUsage: "POD|POD/CONTAINER",
		Action: func(c *cli.Context) error {
			arg, err := onePod(c)
			if err != nil {
				return err
			}
			pod, ctr, _ := strings.Cut(arg, "/")
			st, _, err := model.Observe(pod)
			if err != nil {
				return err
			}
			var v any = st
			if ctr != "" {
				cs, err := model.FindContainer(st, ctr)
				if err != nil {
					return err
				}
				v = cs
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(v); err != nil {
				return fmt.Errorf("inspect: %w", err)
			}
			return nil
		},
	}
}
