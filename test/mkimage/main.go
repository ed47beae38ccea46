// Command mkimage writes a small image from local directories (one layer
// each), for podctl's demo and benchmarks: go run ./test/mkimage -h.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/podctl/podctl/test/imagebuild"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	out := flag.String("o", "", "output path")
	format := flag.String("format", "oci-archive", "oci, oci-archive or docker-archive")
	name := flag.String("name", "", "image name, e.g. localhost/busybox:latest")
	entrypoint := flag.String("entrypoint", "", `Entrypoint as JSON, e.g. ["/bin/sh","-c"]`)
	cmd := flag.String("cmd", "", `Cmd as JSON, e.g. ["sh"]`)
	workdir := flag.String("workdir", "", "WorkingDir")
	user := flag.String("user", "", "User")
	gz := flag.Bool("gzip", false, "gzip the layers")
	var env list
	flag.Var(&env, "env", "KEY=VALUE (repeatable)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkimage -o OUT [-format F] [-name N] [config flags] DIR...")
		os.Exit(2)
	}
	img := imagebuild.Image{Name: *name, Gzip: *gz, Config: imagebuild.Config{Env: env, WorkingDir: *workdir, User: *user}}
	for _, j := range []struct {
		s   string
		dst *[]string
	}{{*entrypoint, &img.Config.Entrypoint}, {*cmd, &img.Config.Cmd}} {
		if j.s != "" {
			if err := json.Unmarshal([]byte(j.s), j.dst); err != nil {
				fmt.Fprintf(os.Stderr, "mkimage: %s: %v\n", j.s, err)
				os.Exit(2)
			}
		}
	}
	for _, dir := range flag.Args() {
		l, err := imagebuild.DirLayer(dir, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkimage:", err)
			os.Exit(1)
		}
		img.Layers = append(img.Layers, l)
	}
	if err := img.Write(*format, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}
