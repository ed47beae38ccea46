package sandbox

import (
	"context"
	"io"
	"os"
	"os/exec"

	"github.com/podctl/podctl/nsenter"
	"github.com/podctl/podctl/sandbox/podnet"
	"github.com/podctl/podctl/sandbox/stage"
)

// ExecInNode runs program (with env, stdin, stdout and stderr) in the
// node's network namespaces: rootless, the user's shared network's user
// and network namespaces, where a pod of network mode cni is made and its
// root is root (through podctl's cni stage, which enters them and execs
// the program with no Go runtime started: nsenter.c, stage_cni); as root,
// where podctl runs. A CRI server runs its CNI plugins here. The shared
// network must be running (a pod on it keeps it).
func ExecInNode(ctx context.Context, program string, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, program)
		cmd.Env = env
	} else {
		user, netns, err := podnet.SharedNamespaces()
		if err != nil {
			return err
		}
		defer user.Close()
		defer netns.Close()
		cmd = exec.CommandContext(ctx, stage.SelfExe, program)
		cmd.Args[0] = "podctl-cni"
		cmd.Env = append(env, nsenter.EnvStage+"="+nsenter.StageCNI)
		cmd.ExtraFiles = []*os.File{user, netns} // fds 3 and 4
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	return cmd.Run()
}
