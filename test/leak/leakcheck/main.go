// Command leakcheck is the leak oracle (test/leak) for scripts: the
// benchmark saves a snapshot before it starts and compares at its end.
//
//	leakcheck save FILE                 write a snapshot to FILE
//	leakcheck diff [-except-temp NAME]... [-wait 10s] FILE
//	                                    compare the machine with FILE; print
//	                                    what podctl left behind, exit 1
//
// Run it as the user whose pods are checked (the snapshot reads that
// user's state root, image store, subordinate ids and cgroups).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/podctl/podctl/test/leak"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fl := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var except list
	fl.Var(&except, "except-temp", "an entry of the temp directory that is the caller's own (repeatable)")
	wait := fl.Duration("wait", 10*time.Second, "how long what is torn down asynchronously may take to go")
	fl.Parse(os.Args[2:])
	if fl.NArg() != 1 {
		usage()
	}
	file := fl.Arg(0)
	o := leak.Options{ExceptTemp: except}
	switch os.Args[1] {
	case "save":
		b, _ := json.Marshal(leak.Take(o))
		if err := os.WriteFile(file, b, 0o600); err != nil {
			fail(err)
		}
	case "diff":
		b, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		var before leak.Snapshot
		if err := json.Unmarshal(b, &before); err != nil {
			fail(fmt.Errorf("%s: %w", file, err))
		}
		if d := leak.Settle(before, o, *wait); len(d) > 0 {
			fmt.Println("left behind:")
			for _, l := range d {
				fmt.Println("  " + l)
			}
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: leakcheck save FILE | leakcheck diff [-except-temp NAME]... [-wait D] FILE")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "leakcheck:", err)
	os.Exit(1)
}
