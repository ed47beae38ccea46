package cliargs

import (
	"bytes"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// testApp has a flag of each type CacheFlagNames wraps, with aliases, a
// required one and one with an action: what the library checks by
// interface must still work through the wrappers.
func testApp(out *bytes.Buffer, got map[string]any, acted *bool) *cli.App {
	return &cli.App{
		Name:   "t",
		Writer: out,
		Commands: []*cli.Command{{
			Name: "run",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "a bool",
					Action: func(*cli.Context, bool) error { *acted = true; return nil }},
				&cli.BoolFlag{Name: "rm", Usage: "unset bool"},
				&cli.StringFlag{Name: "name", Usage: "a string", Required: true},
				&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "a slice"},
				&cli.IntFlag{Name: "count", Value: 3, Usage: "an int"},
				&cli.Int64Flag{Name: "memory", Usage: "an int64"},
				&cli.DurationFlag{Name: "timeout", Usage: "a duration"},
			},
			Action: func(c *cli.Context) error {
				got["tty"], got["rm"], got["name"] = c.Bool("t"), c.Bool("rm"), c.String("name")
				got["env"], got["count"], got["memory"] = c.StringSlice("env"), c.Int("count"), c.Int64("memory")
				got["timeout"], got["setE"], got["setRm"] = c.Duration("timeout"), c.IsSet("e"), c.IsSet("rm")
				return nil
			},
		}},
	}
}

func TestCacheFlagNames(t *testing.T) {
	args := []string{"t", "run", "-t", "--name", "x", "-e", "A=1", "-e", "B=2", "--memory", "5", "--timeout", "2s"}
	var plainOut, cachedOut bytes.Buffer
	plain, cached := map[string]any{}, map[string]any{}
	var plainActed, cachedActed bool
	if err := testApp(&plainOut, plain, &plainActed).Run(args); err != nil {
		t.Fatal(err)
	}
	app := WithCachedNames(testApp(&cachedOut, cached, &cachedActed))
	if err := app.Run(args); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tty": true, "rm": false, "name": "x", "env": []string{"A=1", "B=2"}, "count": 3,
		"memory": int64(5), "timeout": 2 * time.Second, "setE": true, "setRm": false}
	for k, v := range want {
		if !equal(plain[k], v) || !equal(cached[k], v) {
			t.Errorf("%s: plain %v, cached %v, want %v", k, plain[k], cached[k], v)
		}
	}
	if !plainActed || !cachedActed {
		t.Errorf("the flag's action ran: plain %v, cached %v", plainActed, cachedActed)
	}
	// Wrapped, and each name list computed once (but for the help flag
	// that the library adds when the command runs: one flag).
	for _, f := range app.Commands[0].Flags {
		a, b := f.Names(), f.Names()
		if a[0] == "help" {
			continue
		}
		if len(a) == 0 || &a[0] != &b[0] {
			t.Errorf("%T %v: names not cached", f, a)
		}
	}
	// The library's checks by interface: a required flag missing, and
	// the help text, exactly as without the wrappers.
	if err := WithCachedNames(testApp(&cachedOut, cached, &cachedActed)).Run([]string{"t", "run"}); err == nil {
		t.Error("a missing required flag was not refused")
	}
	plainOut.Reset()
	cachedOut.Reset()
	testApp(&plainOut, plain, &plainActed).Run([]string{"t", "run", "--help"})
	WithCachedNames(testApp(&cachedOut, cached, &cachedActed)).Run([]string{"t", "run", "--help"})
	if plainOut.String() != cachedOut.String() || plainOut.Len() == 0 {
		t.Errorf("help differs:\n%s\nagainst\n%s", cachedOut.String(), plainOut.String())
	}
	// Permute tells value flags from bool flags through the wrappers.
	if p := Permute(app.Commands[0], []string{"POD", "-e", "X", "-t", "CMD"}, 1); !equal(p, []string{"-e", "X", "-t", "POD", "CMD"}) {
		t.Errorf("Permute: %q", p)
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok || bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}
