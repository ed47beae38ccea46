package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func volumeCommand() *cli.Command {
	return &cli.Command{
		Name:  "volume",
		Usage: "named volumes: directories that outlive pods, shared by the containers that mount them (-v NAME:/path)",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "make a volume", ArgsUsage: "NAME",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageError{errors.New("volume create: give one name")}
					}
					if _, err := model.CreateVolume(c.Args().First(), false); err != nil {
						return err
					}
					fmt.Println(c.Args().First())
					return nil
				},
			},
			{
				Name: "ls", Usage: "list volumes", Flags: []cli.Flag{&cli.StringFlag{Name: "format", Usage: "json for machine-readable output"}},
				Action: func(c *cli.Context) error {
					vs, err := model.Volumes()
					if err != nil {
						return err
					}
					if c.String("format") == "json" {
						if vs == nil {
							vs = []model.VolumeInfo{}
						}
						return json.NewEncoder(os.Stdout).Encode(vs)
					}
					w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "NAME\tUSED BY\tMOUNTPOINT")
					for _, v := range vs {
						fmt.Fprintf(w, "%s\t%s\t%s\n", v.Name, strings.Join(v.UsedBy, ","), v.Mountpoint)
					}
					return w.Flush()
				},
			},
			{
				Name: "inspect", Usage: "a volume as JSON", ArgsUsage: "NAME",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageError{errors.New("volume inspect: give one name")}
					}
					v, err := model.InspectVolume(c.Args().First())
					if err != nil {
						return err
					}
					enc := json.NewEncoder(os.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(v)
				},
			},
			{
				Name: "rm", Usage: "remove volumes and their data (-f: even those a pod mounts)", ArgsUsage: "NAME...",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}}},
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return usageError{errors.New("volume rm: give at least one name")}
					}
					var errs []error
					for _, name := range c.Args().Slice() {
						errs = append(errs, model.RemoveVolume(name, c.Bool("force")))
					}
					return errors.Join(errs...)
				},
			},
		},
	}
}
