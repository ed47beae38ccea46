package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop pods: SIGTERM to each container, SIGKILL after the grace period",
		ArgsUsage: "POD...",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: int(sandbox.DefaultStopTimeout.Seconds()), Usage: "grace period in seconds"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{errors.New("stop: name at least one pod")}
			}
			if c.Int("time") < 0 {
				return usageError{errors.New("stop: --time must be 0 or more seconds")}
			}
			grace := time.Duration(c.Int("time")) * time.Second
			for _, n := range c.Args().Slice() {
				if err := sandbox.Stop(n, unix.SIGTERM, grace); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// parseSignal accepts KILL, SIGKILL or 9.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q (use a name such as TERM or a number)", s)
}

func killCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to every running container of pods (the restart policy then applies)",
		ArgsUsage: "POD...",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal name or number"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{errors.New("kill: name at least one pod")}
			}
			sig, err := parseSignal(c.String("signal"))
			if err != nil {
				return usageError{fmt.Errorf("kill: --signal: %w", err)}
			}
			for _, n := range c.Args().Slice() {
				if err := sandbox.Kill(n, sig); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func rmCommand() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove pods, their state and logs",
		ArgsUsage: "POD...",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running pod first"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{errors.New("rm: name at least one pod")}
			}
			var errs []error
			for _, n := range c.Args().Slice() {
				if err := sandbox.Remove(n, c.Bool("force")); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
}

func gcCommand() *cli.Command {
	return &cli.Command{
		Name:  "gc",
		Usage: "remove every pod that no longer runs, and whatever a lost supervisor left behind",
		Action: func(c *cli.Context) error {
			removed, err := sandbox.GC()
			for _, n := range removed {
				fmt.Println(n)
			}
			return err
		},
	}
}

func waitCommand() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait for a pod's condition or phase (default: its end, printing its main container's exit code)",
		ArgsUsage: "POD",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "for", Usage: "condition=Initialized|ContainersReady|Ready or phase=Pending|Running|Succeeded|Failed|Unknown"},
			&cli.DurationFlag{Name: "timeout", Usage: "give up after this long (exit code 1)"},
		},
		Action: func(c *cli.Context) error {
			pod, err := onePod(c)
			if err != nil {
				return err
			}
			w, err := sandbox.ParseWaitFor(c.String("for"))
			if err != nil {
				return usageError{fmt.Errorf("wait: %w", err)}
			}
			st, err := sandbox.Wait(pod, w, c.Duration("timeout"))
			if errors.Is(err, sandbox.ErrWaitTimeout) {
				return cli.Exit("podctl: "+err.Error(), 1)
			}
			if err != nil {
				return err
			}
			if w == (sandbox.WaitFor{}) {
				code := -1
				if m := st.MainContainer(); m != nil && m.State.Terminated != nil {
					code = m.State.Terminated.ExitCode
				}
				fmt.Println(code)
			}
			return nil
		},
	}
}
