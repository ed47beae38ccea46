package images

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"go.podman.io/storage/pkg/reexec"
	"go.podman.io/storage/pkg/unshare"
)

// helperName is the name the helper runs under (argv[0]; see reexec.Init,
// which podctl's main calls first).
const helperName = "podctl-storage"

func init() { reexec.Register(helperName, helperMain) }

// Request is one job for the storage helper.
type Request struct {
	Op    string  `json:"op"` // "prepare", "delete" or "orphans"
	Store Options `json:"store"`
	// prepare
	Image    string   `json:"image,omitempty"`
	ID       string   `json:"id,omitempty"`
	Metadata Metadata `json:"metadata,omitempty"`
	// delete; orphans: the IDs some pod still knows
	IDs []string `json:"ids,omitempty"`
}

// Response is the helper's answer.
type Response struct {
	Prepared *Prepared `json:"prepared,omitempty"`
	IDs      []string  `json:"ids,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Mapping is the user namespace the helper runs in: the pods' own mapping,
// so the files it makes are owned as pods expect.
type Mapping struct {
	UIDs, GIDs []specs.LinuxIDMapping
	// Helpers: write the maps with newuidmap/newgidmap (subordinate ids);
	// without, only the caller's own id is mapped.
	Helpers bool
}

// Call runs req in a short-lived helper process inside a new user and mount
// namespace with mapping m (as root, in this process: root's store needs no
// user namespace). It costs one exec plus newuidmap and newgidmap.
func Call(m Mapping, req Request) (*Response, error) {
	if os.Geteuid() == 0 {
		return serve(req), nil
	}
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	cmd := unshare.Command(helperName)
	cmd.UnshareFlags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS
	cmd.UseNewuidmap, cmd.UseNewgidmap = m.Helpers, m.Helpers
	cmd.UidMappings, cmd.GidMappings = m.UIDs, m.GIDs
	cmd.GidMappingsEnableSetgroups = m.Helpers
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, &errb
	// unshare.Cmd also sets _CONTAINERS_USERNS_CONFIGURED and
	// _CONTAINERS_ROOTLESS_UID, as podman's children get them: the helper's
	// containers-storage then knows it is rootless, and whose store it uses.
	runErr := cmd.Run()
	var resp Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		msg := strings.TrimSpace(errb.String())
		if runErr != nil {
			return nil, fmt.Errorf("image store helper (in a user namespace): %v: %s", runErr, msg)
		}
		return nil, fmt.Errorf("image store helper: unreadable answer: %v: %s", err, msg)
	}
	return &resp, nil
}

// helperMain is the helper process: uid 0 of its user namespace.
func helperMain() {
	var req Request
	resp := &Response{}
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		resp.Error = "image store helper: reading the request: " + err.Error()
	} else {
		resp = serve(req)
	}
	json.NewEncoder(os.Stdout).Encode(resp)
	os.Exit(0)
}

func serve(req Request) *Response {
	resp := &Response{}
	s, err := Open(req.Store)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	defer shutdown(s)
	switch req.Op {
	case "prepare":
		p, err := CreateContainer(s, req.Image, req.ID, req.Metadata)
		if err != nil {
			resp.Error = err.Error()
			break
		}
		p.Store = req.Store
		resp.Prepared = p
	case "delete":
		if err := DeleteContainers(s, req.IDs); err != nil {
			resp.Error = err.Error()
		}
	case "orphans":
		known := map[string]bool{}
		for _, id := range req.IDs {
			known[id] = true
		}
		ids, err := Orphans(s, func(id string) bool { return known[id] })
		if err == nil {
			err = DeleteContainers(s, ids)
		}
		resp.IDs = ids
		if err != nil {
			resp.Error = err.Error()
		}
	default:
		resp.Error = "image store helper: unknown operation " + req.Op
	}
	return resp
}
