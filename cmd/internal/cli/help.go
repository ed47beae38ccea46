package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// helpFlag is how help lists -h and --help, which every command has.
var helpFlag = &BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}

// appHelp prints the program's help: its commands and its own flags.
func (a *App) appHelp() error {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   %s - %s\n\nUSAGE:\n   %s [global options] command [command options]\n", a.Name, a.Usage, a.Name)
	if a.Version != "" {
		fmt.Fprintf(&b, "\nVERSION:\n   %s\n", a.Version)
	}
	writeCommands(&b, a.Commands)
	flags := []Flag{helpFlag}
	if a.Version != "" {
		flags = append(flags, versionFlag)
	}
	b.WriteString("\nGLOBAL OPTIONS:\n")
	writeFlags(&b, flags)
	_, err := io.WriteString(a.writer(), b.String())
	return err
}

// commandHelp prints a command's help: its synopsis, description,
// subcommands and flags.
func (a *App) commandHelp(path string, c *Command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME:\n   %s - %s\n\nUSAGE:\n   ", path, c.Usage)
	if c.UsageText != "" {
		b.WriteString(c.UsageText)
	} else {
		b.WriteString(path + " [command options]")
		if c.ArgsUsage != "" {
			b.WriteString(" " + c.ArgsUsage)
		}
	}
	b.WriteString("\n")
	if d := strings.TrimSpace(c.Description); d != "" {
		b.WriteString("\nDESCRIPTION:\n")
		for _, line := range strings.Split(d, "\n") {
			b.WriteString(strings.TrimRight("   "+line, " ") + "\n")
		}
	}
	writeCommands(&b, c.Subcommands)
	b.WriteString("\nOPTIONS:\n")
	writeFlags(&b, append(append([]Flag{}, c.Flags...), helpFlag))
	_, err := io.WriteString(a.writer(), b.String())
	return err
}

func writeCommands(b *strings.Builder, cmds []*Command) {
	var rows []string
	for _, c := range cmds {
		if !c.Hidden {
			rows = append(rows, strings.Join(append([]string{c.Name}, c.Aliases...), ", ")+"\t"+c.Usage)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("\nCOMMANDS:\n")
	writeTable(b, rows)
}

func writeFlags(b *strings.Builder, flags []Flag) {
	rows := make([]string, 0, len(flags))
	for _, f := range flags {
		rows = append(rows, FlagSynopsis(f)+"\t"+FlagUsage(f))
	}
	writeTable(b, rows)
}

// writeTable writes rows of tab-separated cells, indented, in columns.
func writeTable(b *strings.Builder, rows []string) {
	w := tabwriter.NewWriter(b, 1, 8, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(w, "   %s\n", r)
	}
	w.Flush()
}

// FlagSynopsis is a flag's names as help lists them: "--name value, -n
// value" for a flag that takes one, "--detach, -d" for one that does not.
func FlagSynopsis(f Flag) string {
	var parts []string
	for _, n := range f.Names() {
		s := dashed(n)
		if f.TakesValue() {
			s += " value"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// FlagUsage is a flag's help: its usage, whether it may be given more than
// once, its default, if any, and its environment variables.
func FlagUsage(f Flag) string {
	u := f.GetUsage()
	if _, ok := f.(*StringSliceFlag); ok {
		u += " (repeatable)"
	}
	if d := f.DefaultText(); d != "" {
		u += " (default: " + d + ")"
	}
	if env := f.EnvNames(); len(env) > 0 {
		u += " [$" + strings.Join(env, ", $") + "]"
	}
	return u
}
