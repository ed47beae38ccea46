package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
	"golang.org/x/sys/unix"
)

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:      "stop",
		Usage:     "stop pods: SIGTERM to each container, SIGKILL after the grace period",
		ArgsUsage: "POD...",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "time", Aliases: []string{"t"}, Value: int(model.DefaultStopTimeout.Seconds()), Usage: "grace period in seconds"},
		},
		Action: func(c *cli.Context) error {
			if c.Int("time") < 0 {
				return usageError{errors.New("stop: --time must be 0 or more seconds")}
			}
			grace := time.Duration(c.Int("time")) * time.Second
			if !c.IsSet("time") {
				grace = -1 // the pod's own (terminationGracePeriodSeconds), else the default
			}
			return eachPod(c, func(pod string) error { return sandbox.Stop(c.Context, pod, unix.SIGTERM, grace) })
		},
	}
}

func killCommand() *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to every running container of pods (the restart policy then applies)",
		ArgsUsage: "POD...",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Value: "KILL", Usage: "signal name or number"}},
		Action: func(c *cli.Context) error {
			sig, err := model.ParseSignal(c.String("signal"))
			if err != nil {
				return usageError{fmt.Errorf("kill: --signal: %w", err)}
			}
			return eachPod(c, func(pod string) error { return sandbox.Kill(c.Context, pod, sig) })
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
			return eachPod(c, func(pod string) error { return sandbox.Remove(c.Context, pod, c.Bool("force")) })
		},
	}
}

func gcCommand() *cli.Command {
	return &cli.Command{
		Name:  "gc",
		Usage: "remove every pod that no longer runs, and whatever a lost supervisor left behind",
		Action: func(c *cli.Context) error {
			removed, err := sandbox.GC(c.Context)
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
			st, err := sandbox.Wait(c.Context, pod, w, c.Duration("timeout"))
			if errors.Is(err, sandbox.ErrWaitTimeout) {
				return cli.Exit(err.Error(), 1)
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

// eachPod applies fn to every POD argument (at least one), going on past
// failures, as podman does, and returns them all.
func eachPod(c *cli.Context, fn func(pod string) error) error {
	if c.NArg() == 0 {
		return usageError{fmt.Errorf("%s: name at least one pod", c.Command.Name)}
	}
	var errs []error
	for _, pod := range c.Args().Slice() {
		if err := fn(pod); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
