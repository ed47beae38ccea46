package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/termio"

	"github.com/podctl/podctl/cmd/internal/cli"
)

func (a *app) attachCommand() *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "connect to the output (and with -i the stdin) of a running container",
		ArgsUsage: "POD",
		Description: `As kubectl attach: the container's output from now on, until its run ends
(podctl attach then exits with its exit code). With -i your input goes to its
stdin, which it must have (stdin: true in its manifest, or podctl run -d -i);
with -t your terminal is put in raw mode for the container's pty (tty: true,
or podctl run -d -t), and ctrl-p ctrl-q detaches. A container with stdinOnce
reads end-of-file once the first session's input has ended.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "container", Aliases: []string{"c"}, Usage: "container name (default: the pod's first app container)"},
			&cli.BoolFlag{Name: "stdin", Aliases: []string{"i"}, Usage: "pass standard input to the container's stdin"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "standard input is a terminal: raw mode, window size passed on"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{errors.New("attach: name one pod: podctl attach POD [-c CONTAINER] [-i] [-t]")}
			}
			code, err := attach(c.Context, c.Args().First(), c.String("container"), c.Bool("stdin"), c.Bool("tty"))
			a.code = code
			return err
		},
	}
}

// attach is podctl attach: the pod API's Attach, with our terminal in raw
// mode for a container's tty, its window size followed, and the detach
// keys watched for in our input.
func attach(ctx context.Context, pod, container string, stdin, tty bool) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	name, hasTTY := container, false
	if st, _, err := model.Observe(pod); err == nil {
		if c, err := model.FindContainer(st, container); err == nil {
			name, hasTTY = c.Spec.Name, c.Spec.TTY
		}
	} // else Attach says what is wrong
	if tty && !hasTTY {
		fmt.Fprintf(os.Stderr, "podctl: notice: container %s of pod %s has no tty (tty: true in its manifest, or podctl run -d -t); attaching without one\n", name, pod)
	}
	o := sandbox.AttachOptions{Container: container, Stdout: os.Stdout, Stderr: os.Stderr}
	var detached atomic.Bool
	if stdin {
		o.Stdin = os.Stdin
		if hasTTY {
			if termio.IsTerminal(os.Stdin) {
				// As kubectl attach does: the pty's screen is not
				// replayed, so a shell waiting at its prompt shows
				// nothing until a key is pressed.
				fmt.Fprintf(os.Stderr, "If you don't see a command prompt, try pressing enter. (ctrl-p ctrl-q detaches)\r\n")
				defer termio.Raw(os.Stdin)()
				var stop func()
				o.Resize, stop = windowSizes(os.Stdin)
				defer stop()
			}
			pr, pw, err := os.Pipe()
			if err != nil {
				return 0, err
			}
			defer pr.Close()
			go func() {
				if copyUntilKeys(pw, os.Stdin, detachKeys) {
					detached.Store(true)
					cancel() // before the end of input: stdin stays open
				}
				pw.Close()
			}()
			o.Stdin = pr
		}
	}
	code, err := sandbox.Attach(ctx, pod, o)
	if detached.Load() {
		fmt.Fprintf(os.Stderr, "\r\npodctl: detached from container %s of pod %s; it runs on\r\n", name, pod)
		return 0, nil
	}
	return code, err
}
