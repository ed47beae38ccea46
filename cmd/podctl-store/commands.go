package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/images/store"
	"go.podman.io/storage"
)

// The image commands that only read or change the store: images, rmi,
// image inspect, image prune. They run inside a user namespace that maps
// the subordinate ids (store.EnterUserNamespace re-executes podctl-store
// there, as podman does).

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:   "images",
		Usage:  "list the images of the store (podman's, shared)",
		Flags:  []cli.Flag{&cli.StringFlag{Name: "format", Usage: "json for machine-readable output"}},
		Action: listImages,
	}
}

func listImages(c *cli.Context) error {
	if f := c.String("format"); f != "" && f != "json" {
		return usageError{fmt.Errorf("images: --format %q: only json is known", f)}
	}
	s, err := storeForCommand()
	if err != nil {
		return err
	}
	defer s.Shutdown(false)
	list, err := store.List(s)
	if err != nil {
		return err
	}
	if c.String("format") == "json" {
		if list == nil {
			list = []store.Summary{}
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	for _, img := range list {
		names := img.Names
		if len(names) == 0 {
			names = []string{"<none>:<none>"}
		}
		for _, n := range names {
			repo, tag := splitName(n)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, images.ShortID(img.ID), age(img.Created)+" ago", humanSize(img.Size))
		}
	}
	return w.Flush()
}

// splitName splits REPO:TAG (or REPO@DIGEST) as podman's listing does.
func splitName(n string) (string, string) {
	if i := strings.LastIndex(n, "@"); i >= 0 {
		return n[:i], "<none>"
	}
	if i := strings.LastIndex(n, ":"); i > strings.LastIndex(n, "/") {
		return n[:i], n[i+1:]
	}
	return n, "<none>"
}

func humanSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.3g GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.3g MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.3g kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func rmiCommand() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove images (or one of an image's several names)",
		ArgsUsage: "IMAGE...",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{errors.New("rmi: name at least one image")}
			}
			s, err := storeForCommand()
			if err != nil {
				return err
			}
			defer s.Shutdown(false)
			var errs []error
			for _, name := range c.Args().Slice() {
				did, err := store.Remove(s, name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Println(did)
			}
			return errors.Join(errs...)
		},
	}
}

func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "manage images: ls, rm, inspect, prune (pull, load, push: podctl-image)",
		Subcommands: []*cli.Command{
			{Name: "ls", Usage: "same as podctl images", Flags: imagesCommand().Flags, Action: listImages},
			{Name: "rm", Usage: "same as podctl rmi", ArgsUsage: "IMAGE...", Action: rmiCommand().Action},
			{
				Name: "inspect", Usage: "an image's names, layers and configuration, as JSON", ArgsUsage: "IMAGE...",
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return usageError{errors.New("image inspect: name an image")}
					}
					s, err := storeForCommand()
					if err != nil {
						return err
					}
					defer s.Shutdown(false)
					var out []*store.Details
					for _, name := range c.Args().Slice() {
						d, err := store.Inspect(s, name)
						if err != nil {
							return err
						}
						out = append(out, d)
					}
					enc := json.NewEncoder(os.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				},
			},
			{
				// Where the store is, as storage.conf says (podman info's
				// store section): what the CRI's ImageFsInfo measures.
				Name: "info", Usage: "the store's graph root, run root and driver, as JSON",
				Action: func(c *cli.Context) error {
					o, err := store.DefaultOptions()
					if err != nil {
						return err
					}
					enc := json.NewEncoder(os.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(map[string]string{"graphRoot": o.GraphRoot, "runRoot": o.RunRoot, "driver": o.GraphDriverName})
				},
			},
			{
				Name: "prune", Usage: "remove images without a name that no container uses (-a: every unused image)",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "every image no container uses"}},
				Action: func(c *cli.Context) error {
					s, err := storeForCommand()
					if err != nil {
						return err
					}
					defer s.Shutdown(false)
					ids, err := store.Prune(s, c.Bool("all"))
					for _, id := range ids {
						fmt.Println(id)
					}
					return err
				},
			},
		},
	}
}

// storeForCommand opens the store from inside the storage user namespace.
func storeForCommand() (storage.Store, error) {
	store.EnterUserNamespace()
	o, err := store.DefaultOptions()
	if err != nil {
		return nil, err
	}
	return store.Open(o)
}

// age is how long ago t was, as podman's listing says it.
func age(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
