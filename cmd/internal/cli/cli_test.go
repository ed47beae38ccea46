package cli

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testApp is a program with one command of every kind of flag, a
// subcommand, and a hidden command.
func testApp(got *Context, before *[]string) *App {
	save := func(c *Context) error { *got = *c; return nil }
	return &App{
		Name:    "prog",
		Usage:   "a test program",
		Version: "1.2",
		Commands: []*Command{{
			Name:      "run",
			Usage:     "run something",
			ArgsUsage: "CMD",
			Flags: []Flag{
				&StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "a name"},
				&StringFlag{Name: "restart", Value: "never", Usage: "a policy"},
				&BoolFlag{Name: "interactive", Aliases: []string{"i"}},
				&BoolFlag{Name: "tty", Aliases: []string{"t"}},
				&BoolFlag{Name: "share-pid", Value: true},
				&StringSliceFlag{Name: "env", Aliases: []string{"e"}},
				&StringFlag{Name: "c"},
				&IntFlag{Name: "tail", Value: -1},
				&Int64Flag{Name: "big"},
				&DurationFlag{Name: "timeout"},
				&StringFlag{Name: "auth", EnvVars: []string{"PROG_TEST_AUTH"}},
			},
			UseShortOptionHandling: true,
			Before:                 func(c *Context) error { *before = append(*before, "run"); return nil },
			Action:                 save,
		}, {
			Name:  "pod",
			Usage: "pods",
			Subcommands: []*Command{{
				Name: "create", Aliases: []string{"new"}, Usage: "make one",
				Flags:  []Flag{&StringSliceFlag{Name: "file", Aliases: []string{"f"}, Required: true}},
				Action: save,
			}},
		}, {
			Name: "secret", Usage: "not listed", Hidden: true, Action: save,
		}, {
			Name: "images", Usage: "another program's", SkipFlagParsing: true, Action: save,
		}},
	}
}

func TestParse(t *testing.T) {
	t.Setenv("PROG_TEST_AUTH", "")
	for _, tc := range []struct {
		args  string
		check func(c *Context) bool
	}{
		{"run --name a x", func(c *Context) bool {
			return c.String("name") == "a" && c.IsSet("name") && reflect.DeepEqual(c.Args().Slice(), []string{"x"})
		}},
		{"run -name a", func(c *Context) bool { return c.String("n") == "a" }},
		{"run -n=a=b", func(c *Context) bool { return c.String("name") == "a=b" }},
		{"run --name=", func(c *Context) bool { return c.String("name") == "" && c.IsSet("name") }},
		{"run", func(c *Context) bool {
			return c.String("restart") == "never" && !c.IsSet("restart") && c.Bool("share-pid") && c.Int("tail") == -1
		}},
		{"run --name -i", func(c *Context) bool { return c.String("name") == "-i" && !c.Bool("i") }},
		{"run -i x --name a", func(c *Context) bool {
			return c.Bool("interactive") && c.String("name") == "" && reflect.DeepEqual([]string(c.Args()), []string{"x", "--name", "a"})
		}},
		{"run --share-pid=false", func(c *Context) bool { return !c.Bool("share-pid") && c.IsSet("share-pid") }},
		{"run -it", func(c *Context) bool { return c.Bool("interactive") && c.Bool("tty") }},
		{"run -ie K=V", func(c *Context) bool { return c.Bool("i") && reflect.DeepEqual(c.StringSlice("env"), []string{"K=V"}) }},
		{"run -c x", func(c *Context) bool { return c.String("c") == "x" }},
		{"run -e a,b -e c", func(c *Context) bool { return reflect.DeepEqual(c.StringSlice("e"), []string{"a", "b", "c"}) }},
		{"run -- --name a", func(c *Context) bool {
			return c.String("name") == "" && reflect.DeepEqual(c.Args().Slice(), []string{"--name", "a"})
		}},
		{"run - x", func(c *Context) bool { return reflect.DeepEqual(c.Args().Slice(), []string{"-", "x"}) }},
		{"run --tail 0x10 --big 9000000000 --timeout 1m30s", func(c *Context) bool {
			return c.Int("tail") == 16 && c.Int64("big") == 9000000000 && c.Duration("timeout") == 90*time.Second
		}},
		{"pod create -f a", func(c *Context) bool { return c.Command.Name == "create" && c.StringSlice("file")[0] == "a" }},
		{"pod new -f a x", func(c *Context) bool { return c.Args().First() == "x" }},
		{"images --help -x", func(c *Context) bool { return reflect.DeepEqual(c.Args().Slice(), []string{"--help", "-x"}) }},
		{"secret", func(c *Context) bool { return c.Command.Name == "secret" }},
	} {
		var got Context
		var before []string
		if err := testApp(&got, &before).Run(append([]string{"prog"}, strings.Fields(tc.args)...)); err != nil {
			t.Errorf("%s: %v", tc.args, err)
			continue
		}
		if got.Command == nil || !tc.check(&got) {
			t.Errorf("%s: parsed as %+v, args %q", tc.args, got.values, got.args)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--bogus", "flag provided but not defined: --bogus (see prog --help)"},
		{"bogus", `unknown command "bogus" (see prog --help)`},
		{"run --bogus", "run: flag provided but not defined: --bogus (see prog run --help)"},
		{"run -x", "run: flag provided but not defined: -x (see prog run --help)"},
		{"run -ix", "run: flag provided but not defined: -ix"},
		{"run -ci", "run: flag provided but not defined: -ci"}, // -c takes a value: not last
		{"run --name", "run: flag needs an argument: --name"},
		{"run --share-pid=maybe", `run: invalid value "maybe" for --share-pid: not a boolean`},
		{"run --tail abc", `run: invalid value "abc" for --tail: not an integer`},
		{"run --tail 99999999999999999999", `run: invalid value "99999999999999999999" for --tail: out of range`},
		{"run --timeout 5", `run: invalid value "5" for --timeout: not a duration`},
		{"run ---name a", "run: bad flag syntax: ---name"},
		{"run -=a", "run: bad flag syntax: -=a"},
		{"pod bogus", `pod: unknown command "bogus" (see prog pod --help)`},
		{"pod create", "pod create: required flag --file not set"},
		{"pod create --file", "pod create: flag needs an argument: --file (see prog pod create --help)"},
	} {
		var got Context
		var before []string
		err := testApp(&got, &before).Run(append([]string{"prog"}, strings.Fields(tc.args)...))
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a usage error with %q", tc.args, err, tc.want)
		}
		if got.Command != nil || len(before) > 0 {
			t.Errorf("%s: the command ran after a usage error", tc.args)
		}
	}
}

func TestEnvVars(t *testing.T) {
	t.Setenv("PROG_TEST_AUTH", "/from/env")
	var got Context
	var before []string
	app := testApp(&got, &before)
	if err := app.Run([]string{"prog", "run"}); err != nil || got.String("auth") != "/from/env" || !got.IsSet("auth") {
		t.Errorf("from the environment: %v, %q", err, got.String("auth"))
	}
	if err := app.Run([]string{"prog", "run", "--auth", "/flag"}); err != nil || got.String("auth") != "/flag" {
		t.Errorf("the flag over the environment: %v, %q", err, got.String("auth"))
	}
}

func TestSliceSeparator(t *testing.T) {
	var got Context
	var before []string
	app := testApp(&got, &before)
	app.DisableSliceFlagSeparator = true
	if err := app.Run([]string{"prog", "run", "-e", "K=a,b"}); err != nil || !reflect.DeepEqual(got.StringSlice("env"), []string{"K=a,b"}) {
		t.Errorf("-e K=a,b kept whole: %v, %q", err, got.StringSlice("env"))
	}
}

func TestBeforeThenAction(t *testing.T) {
	var got Context
	var before []string
	app := testApp(&got, &before)
	app.Commands[0].Before = func(c *Context) error {
		before = append(before, "run")
		if got.Command != nil {
			t.Error("Before ran after the Action")
		}
		return errors.New("stop")
	}
	if err := app.Run([]string{"prog", "run", "-i"}); err == nil || err.Error() != "stop" || got.Command != nil {
		t.Errorf("Before's error: %v; the action ran: %v", err, got.Command != nil)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, tc := range []struct {
		args       string
		want, omit []string
	}{
		{"", []string{"NAME:\n   prog - a test program", "VERSION:\n   1.2", "   run ", "   pod ", "--help, -h", "--version"}, []string{"secret"}},
		{"--help", []string{"COMMANDS:", "   images "}, []string{"secret"}},
		{"run -h", []string{"USAGE:\n   prog run [command options] CMD\n", "--name value, -n value", "a name", `(default: "never")`,
			"--env value, -e value", "(repeatable)", "--share-pid", "(default: true)", "[$PROG_TEST_AUTH]", "--help, -h"},
			[]string{"(default: false)", "(default: 0)", "--tail value  (default"}},
		{"run --name x --help", []string{"NAME:\n   prog run - run something"}, nil},
		{"run --help --bogus -c", []string{"NAME:\n   prog run - run something"}, nil},
		{"pod", []string{"prog pod - pods", "create, new  make one"}, nil},
		{"pod create --help", []string{"--file value, -f value"}, nil},
		{"--version", []string{"prog version 1.2\n"}, []string{"NAME"}},
	} {
		var out strings.Builder
		var got Context
		var before []string
		app := testApp(&got, &before)
		app.Writer = &out
		if err := app.Run(append([]string{"prog"}, strings.Fields(tc.args)...)); err != nil {
			t.Errorf("%q: %v", tc.args, err)
		}
		if got.Command != nil {
			t.Errorf("%q: a command ran", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: no %q in\n%s", tc.args, w, out.String())
			}
		}
		for _, w := range tc.omit {
			if strings.Contains(out.String(), w) {
				t.Errorf("%q: %q in\n%s", tc.args, w, out.String())
			}
		}
	}
}
