// Package clidoc renders a command line's own help text as Markdown: the
// command references in docs/ (cli.md for podctl, cli-kube.md, cli-image.md
// and cli-store.md for the helpers podctl execs) are what each program's
// --help says, and each program's test fails when its page is out of date
// (`make docs` rewrites them).
package clidoc

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/cmd/internal/cli"
)

// Page says what a reference page is about.
type Page struct {
	Title string // the page's heading
	Intro string // Markdown after it: where the commands come from
	// Elsewhere: commands of app that another program carries out, by
	// name, and the page (with its anchor prefix) that documents them.
	Elsewhere map[string]string
}

// Write renders every command and subcommand of app as Markdown: its
// synopsis, description and flags, in the order of --help. It depends on
// nothing but the CLI's definitions (no terminal width, no environment).
func Write(w io.Writer, app *cli.App, p Page) {
	fmt.Fprintf(w, "# %s\n\n%s\n\n", p.Title, strings.TrimSpace(p.Intro))
	fmt.Fprintf(w, "%s: %s.\n\n", app.Name, app.Usage)
	fmt.Fprintf(w, "| command | what it does |\n| --- | --- |\n")
	var all []*cli.Command
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			fmt.Fprintf(w, "| [`%s`](#%s) | %s |\n", name, anchor("podctl "+name), escapeCell(c.Usage))
			all = append(all, &cli.Command{Name: name, Usage: c.Usage, UsageText: c.UsageText, ArgsUsage: c.ArgsUsage,
				Description: c.Description, Flags: c.Flags, Aliases: c.Aliases, Subcommands: c.Subcommands})
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
	for _, c := range all {
		fmt.Fprintf(w, "\n## podctl %s\n\n%s.\n", c.Name, strings.TrimSuffix(c.Usage, "."))
		if page, ok := p.Elsewhere[c.Name]; ok {
			fmt.Fprintf(w, "\nCarried out by another program: its options are in [its reference](%s#%s).\n", page, anchor("podctl "+c.Name))
			continue
		}
		fmt.Fprintf(w, "\n")
		usage := c.UsageText
		if usage == "" {
			usage = "podctl " + c.Name
			if len(c.Flags) > 0 {
				usage += " [options]"
			}
			if c.ArgsUsage != "" {
				usage += " " + c.ArgsUsage
			}
		}
		fmt.Fprintf(w, "    %s\n", usage)
		if len(c.Aliases) > 0 {
			fmt.Fprintf(w, "\nAlso: %s.\n", strings.Join(c.Aliases, ", "))
		}
		if d := strings.TrimSpace(c.Description); d != "" {
			fmt.Fprintf(w, "\n%s\n", d)
		}
		var flags []string
		for _, f := range c.Flags {
			flags = append(flags, flagRow(f))
		}
		if len(flags) > 0 {
			fmt.Fprintf(w, "\n| flag | meaning |\n| --- | --- |\n%s", strings.Join(flags, ""))
		}
		if len(c.Subcommands) > 0 {
			var subs []string
			for _, s := range c.Subcommands {
				if !s.Hidden {
					subs = append(subs, fmt.Sprintf("[`%s %s`](#%s)", c.Name, s.Name, anchor("podctl "+c.Name+" "+s.Name)))
				}
			}
			fmt.Fprintf(w, "\nSubcommands: %s.\n", strings.Join(subs, ", "))
		}
	}
}

// flagRow is one flag as a table row: its names (with "value" where it
// takes one), then its usage and default, as --help prints them.
func flagRow(f cli.Flag) string {
	var names []string
	for _, n := range strings.Split(cli.FlagSynopsis(f), ", ") {
		names = append(names, "`"+n+"`")
	}
	return fmt.Sprintf("| %s | %s |\n", strings.Join(names, ", "), escapeCell(cli.FlagUsage(f)))
}

// anchor is the id GitHub's Markdown gives a heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func escapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

var update = flag.Bool("update", false, "rewrite the command reference from the help text (make docs)")

// Check fails t when the page at path is not what app renders to, or when
// a visible command has no section; with -update it rewrites the page.
func Check(t *testing.T, app *cli.App, p Page, path string) {
	t.Helper()
	var b bytes.Buffer
	Write(&b, app, p)
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		if !bytes.Contains(b.Bytes(), []byte("\n## podctl "+c.Name+"\n")) {
			t.Errorf("no section for podctl %s", c.Name)
		}
		for _, s := range c.Subcommands {
			if !s.Hidden && !bytes.Contains(b.Bytes(), []byte("\n## podctl "+c.Name+" "+s.Name+"\n")) {
				t.Errorf("no section for podctl %s %s", c.Name, s.Name)
			}
		}
	}
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v (run make docs)", path, err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Fatalf("%s is out of date with the help text: run make docs", filepath.Base(path))
	}
}
