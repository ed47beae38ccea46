package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	"github.com/podctl/podctl/sandbox/termio"

	"github.com/podctl/podctl/cmd/internal/cli"
	"golang.org/x/sys/unix"
)

func (a *app) runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command in a container, in a new pod or (--pod) an existing one",
		ArgsUsage: "IMAGE [CMD [ARG...]]  |  --rootfs DIR -- CMD [ARG...]",
		Description: `The container's root is a copy-on-write layer on IMAGE, from the image store
podman uses (see podctl images, podctl pull), and the image's Entrypoint, Cmd,
Env, WorkingDir, User and StopSignal apply: CMD replaces Cmd, --entrypoint
replaces Entrypoint (Kubernetes' args and command). Or the root is a directory
(--rootfs), used in place: a mount point the container needs and the directory
lacks (for -v, --tmpfs, -w, /proc, /sys, /dev, /etc/hosts, /etc/hostname,
/etc/resolv.conf) is made in it, empty, and stays, as runc and crun do, even
with --read-only.

Without --pod, run makes a pod for the container; the pod ends when the
container does (and, with --rm, is removed). With --pod the container joins a
running pod, whose restart policy applies to it.

In the foreground, run prints the container's output and exits with its exit
code (128+N for a death by signal N); SIGINT, SIGTERM or SIGHUP stop the pod
(the signal goes to the container, SIGKILL follows after 10 s; a second signal
kills at once). With -d it returns once the container has started.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "rootfs", Usage: "directory holding the container's unpacked root filesystem (instead of IMAGE)"},
			&cli.StringFlag{Name: "entrypoint", Usage: "run this instead of the image's Entrypoint (the image's Cmd is then dropped, as Kubernetes' command does)"},
			&cli.StringFlag{Name: "pod", Usage: "add the container to this running pod"},
			&cli.StringFlag{Name: "name", Usage: "container name (a DNS label); without --pod also the pod's name"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "return once the container has started"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "in the foreground, pass standard input to the container of a new pod; with -d, keep a stdin open for podctl attach -i"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "give the container a pty of its own devpts: with -i in the foreground your terminal drives it (raw mode); with -d, podctl attach -it does"},
			&cli.BoolFlag{Name: "rm", Usage: "remove the pod (with --pod: the container) once it has ended"},
			&cli.BoolFlag{Name: "init", Usage: "with --pod: an init container, run to completion before the pod's app containers"},
			&cli.StringFlag{Name: "restart", Value: "never", Usage: "restart policy of the new pod: always, on-failure or never"},
			&cli.BoolFlag{Name: "share-pid", Value: true, Usage: "the new pod's containers share one pid namespace, with the pause as PID 1"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set KEY=VALUE in the container (KEY alone passes podctl's value)"},
			&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory inside the container (created if missing)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "UID[:GID] or NAME[:GROUP] of the rootfs to run as"},
			&cli.StringFlag{Name: "hostname", Usage: "the new pod's hostname (default: the pod name)"},
			&cli.StringSliceFlag{Name: "cap-add", Usage: "add a capability to podman's default 11 (e.g. NET_RAW; ALL for every one), inside the pod's user namespace"},
			&cli.StringSliceFlag{Name: "cap-drop", Usage: "drop a capability from the default 11 (ALL for every one)"},
			&cli.StringSliceFlag{Name: "security-opt", Usage: "seccomp=PROFILE.json (docker's format) or seccomp=unconfined (default: moby's profile)"},
			&cli.StringSliceFlag{Name: "group-add", Usage: "a supplementary group (a numeric gid) for the container's user, besides those of the image's /etc/group"},
			sysctlFlag(),
			&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "bind-mount a host path or a named volume: HOST-PATH|NAME:CONTAINER-PATH[:ro|rw]"},
			&cli.StringSliceFlag{Name: "mount", Usage: "type=bind,source=HOST,target=CTR[,readonly], type=volume,source=NAME,target=CTR or type=tmpfs,target=CTR[,tmpfs-size=N]"},
			&cli.StringSliceFlag{Name: "tmpfs", Usage: "mount a fresh tmpfs: CONTAINER-PATH[:size=64m,mode=1777,ro]"},
			&cli.StringFlag{Name: "userns", Usage: "keep-id: your own uid and gid are the same inside the new pod (and its containers run as them), so files a non-root step writes into a volume are yours"},
			&cli.DurationFlag{Name: "timeout", Usage: "stop the new pod once it has run this long (e.g. 90s, 10m); podctl run then exits 124, as timeout(1), and the pod's reason is DeadlineExceeded"},
			&cli.StringFlag{Name: "result-file", Usage: "when the new pod has ended, write its result there as JSON: exit code, reason (Completed, Error, DeadlineExceeded, ...), start and end times"},
			&cli.BoolFlag{Name: "read-only", Usage: "a read-only root filesystem, with writable tmpfs on /tmp, /var/tmp and /run"},
			&cli.BoolFlag{Name: "privileged", Usage: "every capability, no no_new_privs, /proc and /sys unmasked: for debugging only"},
		}, append(append(limitFlags(), logFlags()...), networkFlags()...)...),
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			var image string
			if !c.IsSet("rootfs") {
				if len(args) == 0 {
					return usageError{fmt.Errorf("run: name an image (podctl run IMAGE [CMD...]) or a directory (podctl run --rootfs DIR -- CMD)")}
				}
				image, args = args[0], args[1:]
				if strings.HasPrefix(image, "/") || strings.HasPrefix(image, ".") {
					// A path where the image goes: "run -- /bin/true", the
					// command of a --rootfs run without the --rootfs.
					return usageError{fmt.Errorf("run: %q is a path, not an image: name an image (podctl run IMAGE [CMD...]) or a root directory (podctl run --rootfs DIR -- CMD)", image)}
				}
				if len(args) > 0 && args[0] == "--" {
					args = args[1:]
				}
			} else if c.IsSet("entrypoint") {
				return usageError{fmt.Errorf("run: --entrypoint applies to an image; with --rootfs, give the command after --")}
			}
			ctr := model.ContainerSpec{
				Name: c.String("name"), Init: c.Bool("init"), Rootfs: c.String("rootfs"), Image: image,
				Args: args, Env: c.StringSlice("env"), Cwd: c.String("workdir"), User: c.String("user"),
				CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"), Privileged: c.Bool("privileged"),
			}
			var err error
			if ctr.Resources, err = limitsConfig(c); err != nil {
				return err
			}
			if ctr.Groups, err = groupAdd(c); err != nil {
				return err
			}
			for _, opt := range c.StringSlice("security-opt") {
				k, v, _ := strings.Cut(opt, "=")
				if k != "seccomp" || v == "" {
					return usageError{fmt.Errorf("run: --security-opt %q: podctl knows seccomp=PROFILE.json and seccomp=unconfined", opt)}
				}
				ctr.Seccomp = v
			}
			for _, v := range c.StringSlice("volume") {
				m, err := model.ParseVolume(v)
				if err != nil {
					return usageError{err}
				}
				ctr.Mounts = append(ctr.Mounts, m)
			}
			for _, v := range c.StringSlice("mount") {
				m, err := model.ParseMount(v)
				if err != nil {
					return usageError{err}
				}
				ctr.Mounts = append(ctr.Mounts, m)
			}
			for _, v := range c.StringSlice("tmpfs") {
				m, err := model.ParseTmpfs(v)
				if err != nil {
					return usageError{err}
				}
				ctr.Mounts = append(ctr.Mounts, m)
			}
			ctr.ReadOnly = c.Bool("read-only")
			if ep := c.String("entrypoint"); ep != "" {
				ctr.Command = []string{ep}
			}
			if ctr.Seccomp == "unconfined" && !ctr.Privileged {
				fmt.Fprintln(os.Stderr, "podctl: warning: --security-opt seccomp=unconfined: this container runs without a seccomp filter")
			}
			if ctr.Privileged {
				// Opt-outs are loud: this container keeps every capability
				// of the pod's user namespace and sees /proc unmasked.
				fmt.Fprintln(os.Stderr, "podctl: warning: --privileged: this container keeps every capability in the pod's user namespace, without no_new_privs, with /proc and /sys unmasked")
			}
			sigs := make(chan os.Signal, 4)
			detach := c.Bool("detach")
			if !detach {
				signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
				defer signal.Stop(sigs)
			}
			o := sandbox.RunIO{Stdout: os.Stdout, Stderr: os.Stderr, Notices: os.Stderr, Signals: sigs}
			switch {
			case c.Bool("tty") && !detach && c.IsSet("pod"):
				return usageError{fmt.Errorf("run: -t with --pod needs -d: podctl run -d -it --pod ... then podctl attach -it POD (or podctl exec -it)")}
			case c.Bool("interactive") && detach:
				// Kubernetes' stdin: a pipe kept open for attach.
				ctr.Stdin, ctr.TTY = true, c.Bool("tty")
			case c.Bool("interactive"):
				if c.IsSet("pod") {
					return usageError{fmt.Errorf("run: -i in the foreground works for the container of a new pod (with --pod use -d -i and podctl attach -i, or podctl exec -i)")}
				}
				o.Stdin = os.Stdin
				ctr.TTY = c.Bool("tty")
			case c.Bool("tty"):
				ctr.TTY = true
			}
			if pod := c.String("pod"); pod != "" {
				for _, f := range append([]string{"restart", "share-pid", "hostname", "timeout", "result-file", "userns", "log-max-size", "log-max-files", "sysctl"}, networkFlagNames()...) {
					if c.IsSet(f) {
						return usageError{fmt.Errorf("run: --%s applies to a new pod; pod %s already has its own (see podctl pod create --help)", f, pod)}
					}
				}
				ctr.Remove = c.Bool("rm")
				a.code, err = sandbox.RunInPod(c.Context, pod, ctr, detach, o)
				return err
			}
			if c.Bool("init") {
				return usageError{fmt.Errorf("run: --init needs --pod: init containers belong to a pod made with podctl pod create")}
			}
			policy, err := model.ParseRestartPolicy(c.String("restart"))
			if err != nil {
				return usageError{err}
			}
			spec := model.PodSpec{Name: c.String("name"), Hostname: c.String("hostname"),
				SharePID: c.Bool("share-pid"), RestartPolicy: policy, Remove: c.Bool("rm"), ActiveDeadline: c.Duration("timeout"),
				ResultFile: c.String("result-file"), UserNS: c.String("userns")}
			if spec.Network, err = networkConfig(c); err != nil {
				return err
			}
			if err := logConfig(c, &spec); err != nil {
				return err
			}
			if err := sysctlConfig(c, &spec); err != nil {
				return err
			}
			if c.IsSet("name") && spec.Name == "" {
				return usageError{fmt.Errorf("run: --name \"\": give a name, or leave --name out for a generated one")}
			}
			if spec.Name == "" {
				// Named here, so that run -d can say which pod it made.
				spec.Name = model.NewPodName()
			}
			if c.IsSet("timeout") && spec.ActiveDeadline <= 0 {
				return usageError{fmt.Errorf("run: --timeout %s: give a positive duration, e.g. 30s or 10m", spec.ActiveDeadline)}
			}
			if o.Stdin != nil && ctr.TTY && termio.IsTerminal(os.Stdin) {
				// Our terminal is the container's keyboard until the run
				// returns: raw (^C is the container's), its size followed.
				defer termio.Raw(os.Stdin)()
				var stop func()
				o.Resize, stop = windowSizes(os.Stdin)
				defer stop()
			}
			a.code, err = sandbox.Run(c.Context, spec, ctr, detach, o)
			if err == nil && detach {
				fmt.Println(spec.Name)
			}
			return err
		},
	}
}
