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

// storeHelper is a running podctl-store helper: a Request written to its
// standard input gets a Response on its standard output; closing its input
// ends it (images/store, Serve). The helper runs as uid 0 of a new user
// namespace that maps ids exactly as pods' do (nsenter.c's userns stage,
// with the pause's handshake: it unshares, podctl writes the maps with
// newuidmap and newgidmap, then it goes on), so the files it makes in the
// store have the owners pods see. Root needs no user namespace.
type storeHelper struct {
	proc  *forkexec.Process
	in    *os.File      // its standard input
	out   *os.File      // its standard output
	dec   *json.Decoder // over out
	pipes *forkexec.Pipes
	errb  bytes.Buffer // its standard error
	what  string
}

// startStore starts a store helper.
func startStore() (*storeHelper, error) {
	bin, err := images.Binary(images.StoreBinary)
	if err != nil {
		return nil, err
	}
	h := &storeHelper{what: "the image store helper " + bin}
	cmd := &forkexec.Cmd{Path: bin, Args: []string{images.StoreBinary, images.HelperArg}, Env: os.Environ()}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	h.in, h.out, h.dec = inW, outR, json.NewDecoder(outR)
	cmd.Stdin, cmd.Stdout = inR, outW
	if h.pipes, err = forkexec.NewPipes(cmd, nil, nil, &h.errb); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, err
	}
	started := func() {
		h.pipes.Started()
		inR.Close()
		outW.Close()
	}
	if os.Getuid() == 0 {
		h.proc, err = forkexec.Start(cmd)
		started()
		if err != nil {
			h.discard()
			return nil, fmt.Errorf("starting %s: %w", h.what, err)
		}
		return h, nil
	}
	// containers-storage in the helper must know it is rootless, and
	// whose store it uses, as podman's re-executed children do.
	cmd.Env = append(cmd.Env, nsenter.EnvStage+"="+nsenter.StageUserns, nsenter.EnvSyncFD+"=3",
		"_CONTAINERS_USERNS_CONFIGURED=done",
		fmt.Sprintf("_CONTAINERS_ROOTLESS_UID=%d", os.Getuid()), fmt.Sprintf("_CONTAINERS_ROOTLESS_GID=%d", os.Getgid()))
	// The pods' own mapping (idmap.Detect), so that the store's files
	// have the owners pods see; made, as a pod's, inside the per-user
	// namespace where there is one (sandbox/stage/nest.go).
	ids := idmap.Detect()
	nest, err := stage.OpenNest(ids)
	if err != nil {
		started()
		h.discard()
		return nil, err
	}
	defer nest.Close()
	if nest != nil {
		nest.Pass(cmd)
	}
	proc, sock, err := stage.SpawnStage(h.what, cmd, nil, true)
	started()
	if err != nil {
		h.discard()
		return nil, err
	}
	defer sock.Close()
	err = stage.MapUserNS(sock, proc.Pid, ids, "the image store helper", nest)
	if err == nil {
		err = sock.SendText("mapped")
	}
	if err != nil {
		stage.Abandon(proc, sock, 0)
		h.discard()
		return nil, err
	}
	h.proc = proc
	return h, nil
}

// discard closes what a helper that did not start leaves.
func (h *storeHelper) discard() {
	h.in.Close()
	h.out.Close()
	h.pipes.Wait()
}

// call sends req and reads its answer. A nil Response with the error
// means the helper did not answer (it exited: see close); a Response with
// it is the store's own error.
func (h *storeHelper) call(req images.Request) (*images.Response, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := h.in.Write(in); err != nil {
		return nil, fmt.Errorf("image store helper: sending the request: %w", err)
	}
	var resp images.Response
	if err := h.dec.Decode(&resp); err != nil {
		return nil, fmt.Errorf("image store helper: no answer: %w", err)
	}
	if resp.Error != "" {
		return &resp, errors.New(resp.Error)
	}
	return &resp, nil
}

// close ends the helper and waits for it; with callErr, the error of a
// call it did not answer, it returns that error with what the helper said.
func (h *storeHelper) close(callErr error) error {
	h.in.Close()
	runErr := h.proc.Wait()
	h.out.Close()
	h.pipes.Wait()
	if callErr == nil {
		return nil
	}
	msg := strings.TrimSpace(h.errb.String())
	if runErr != nil {
		return fmt.Errorf("%v: %v: %s", callErr, runErr, msg)
	}
	return fmt.Errorf("%v: %s", callErr, msg)
}

// callStore runs req in a helper of its own and returns its answer (an
// error when the helper reports one); with keep, a helper that answered
// stays as kept for this process's next DeleteLayers.
func callStore(req images.Request, keep bool) (*images.Response, error) {
	h, err := startStore()
	if err != nil {
		return nil, err
	}
	resp, err := h.call(req)
	switch {
	case resp == nil && err != nil:
		return nil, h.close(err)
	case keep && err == nil:
		kept = h
	default:
		h.close(nil)
	}
	return resp, err
}

// kept is the helper that made this process's layers, kept for their
// removal (KeepStoreHelper), or nil.
var kept *storeHelper

// keepNext: the next PrepareImages keeps its helper.
var keepNext bool

// KeepStoreHelper makes the next PrepareImages of this process keep its
// store helper, and the next DeleteLayers use it: for podctl run --rm
// IMAGE in the foreground, whose layer is removed by the same process a
// moment later. The removal then costs no new process, id mapping or
// opening of the store (~30 ms here, on the path between the workload's
// end and the command's). The helper waits at most 10 s (images/store,
// Serve); after that DeleteLayers starts another.
func KeepStoreHelper() { keepNext = true }

// callKept sends req to the kept helper, if any, which it then ends;
// false when there is none, or it is gone (then the caller starts one).
func callKept(req images.Request) (resp *images.Response, ok bool, err error) {
	h := kept
	if h == nil {
		return nil, false, nil
	}
	kept = nil
	resp, err = h.call(req)
	h.close(nil)
	if resp == nil && err != nil {
		return nil, false, nil
	}
	return resp, true, err
}
