package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/podctl/podctl/sandbox/forkexec"
	"github.com/podctl/podctl/sandbox/idmap"
	"github.com/podctl/podctl/sandbox/stage"

	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/nsenter"
)

// callStore runs req in podctl-store's store helper and returns its answer
// (an error when the helper reports one). The helper runs as uid 0 of a new
// user namespace that maps ids exactly as pods' do (nsenter.c's userns
// stage, with the pause's handshake: it unshares, podctl writes the maps
// with newuidmap and newgidmap, then it goes on), so the files it makes in
// the store have the owners pods see. Root needs no user namespace.
func callStore(req images.Request) (*images.Response, error) {
	bin, err := images.Binary(images.StoreBinary)
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out, errb bytes.Buffer
	cmd := &forkexec.Cmd{Path: bin, Args: []string{images.StoreBinary, images.HelperArg}, Env: os.Environ()}
	pipes, err := forkexec.NewPipes(cmd, in, &out, &errb)
	if err != nil {
		return nil, err
	}
	rootless := os.Getuid() != 0
	what := "the image store helper " + bin
	var proc *forkexec.Process
	if !rootless {
		proc, err = forkexec.Start(cmd)
		pipes.Started()
		if err != nil {
			pipes.Wait()
			return nil, fmt.Errorf("starting %s: %w", what, err)
		}
	} else {
		// containers-storage in the helper must know it is rootless, and
		// whose store it uses, as podman's re-executed children do.
		cmd.Env = append(cmd.Env, nsenter.EnvStage+"="+nsenter.StageUserns, nsenter.EnvSyncFD+"=3",
			"_CONTAINERS_USERNS_CONFIGURED=done",
			fmt.Sprintf("_CONTAINERS_ROOTLESS_UID=%d", os.Getuid()), fmt.Sprintf("_CONTAINERS_ROOTLESS_GID=%d", os.Getgid()))
		var sock *stage.SyncSocket
		proc, sock, err = stage.SpawnStage(what, cmd, nil, true)
		pipes.Started()
		if err != nil {
			pipes.Wait()
			return nil, err
		}
		defer sock.Close()
		// The pods' own mapping (idmap.Detect), so that the store's
		// files have the owners pods see.
		err = stage.MapUserNS(sock, proc.Pid, idmap.Detect(), "the image store helper")
		if err == nil {
			err = sock.SendText("mapped")
		}
		if err != nil {
			stage.Abandon(proc, sock, 0)
			pipes.Wait()
			return nil, err
		}
	}
	runErr := proc.Wait()
	pipes.Wait()
	var resp images.Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		msg := strings.TrimSpace(errb.String())
		if runErr != nil {
			return nil, fmt.Errorf("image store helper: %v: %s", runErr, msg)
		}
		return nil, fmt.Errorf("image store helper: unreadable answer: %v: %s", err, msg)
	}
	if resp.Error != "" {
		return &resp, errors.New(resp.Error)
	}
	return &resp, nil
}
