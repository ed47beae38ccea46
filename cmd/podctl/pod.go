package main

import (
	"fmt"
	"os"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func podCommand() *cli.Command {
	return &cli.Command{
		Name:  "pod",
		Usage: "manage pods",
		Subcommands: []*cli.Command{{
			Name:      "create",
			Usage:     "create a pod with no container yet; add them with podctl run --pod NAME",
			ArgsUsage: "NAME",
			Flags: append([]cli.Flag{
				&cli.BoolFlag{Name: "share-pid", Value: true, Usage: "containers share one pid namespace, with the pause as PID 1 (false: one each)"},
				&cli.StringFlag{Name: "restart", Value: "always", Usage: "restart policy: always, on-failure or never"},
				&cli.StringFlag{Name: "hostname", Usage: "the pod's hostname (default: its name)"},
				&cli.StringFlag{Name: "userns", Usage: "keep-id: your own uid and gid are the same inside the pod (its containers run as them unless -u)"},
				sysctlFlag(),
			}, append(append(limitFlags(), logFlags()...), networkFlags()...)...),
			Action: func(c *cli.Context) error {
				name, err := onePod(c)
				if err != nil {
					return err
				}
				policy, err := model.ParseRestartPolicy(c.String("restart"))
				if err != nil {
					return usageError{err}
				}
				spec := model.PodSpec{Name: name, Hostname: c.String("hostname"), SharePID: c.Bool("share-pid"), RestartPolicy: policy, UserNS: c.String("userns")}
				if spec.Network, err = networkConfig(c); err != nil {
					return err
				}
				if spec.Resources, err = limitsConfig(c); err != nil {
					return err
				}
				if err := logConfig(c, &spec); err != nil {
					return err
				}
				if err := sysctlConfig(c, &spec); err != nil {
					return err
				}
				if err := sandbox.CreatePod(c.Context, spec, os.Stderr); err != nil {
					return err
				}
				fmt.Println(name)
				return nil
			},
		}},
	}
}
