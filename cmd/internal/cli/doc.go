// Package cli is the command line of podctl and of the programs it execs:
// commands and subcommands, their flags, and their help. It replaces
// urfave/cli v2, whose package initialisers and app construction cost
// every podctl start ~1-1.5 ms (docs/benchmarks.md, "sixth step": its
// init, text/template, regexp and the unicode tables regexp needs), on a
// path (run, exec) that starts a sandbox in ~25 ms.
//
// It keeps urfave's model and names, so command definitions read as
// before: an App of Commands, each with Flags, an Action and Subcommands;
// a Context gives the Action its flags and positional arguments.
//
// Parsing follows Go's flag package, which urfave used: -name and --name
// are the same; a flag's value is the next argument or follows "="; a
// boolean takes only "=false"/"=true"; flags end at the first positional
// argument or at "--". Commands that let flags follow their positional
// arguments (podctl logs POD -c CTR) reorder them first (package cliargs).
// With UseShortOptionHandling, "-it" is "-i -t" when no flag is named "it".
package cli
