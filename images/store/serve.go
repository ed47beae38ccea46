package store

import (
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/podctl/podctl/images"
	"go.podman.io/storage"
)

// Serve is the store helper (podctl-store __store-helper, started by podctl
// as uid 0 of a user namespace mapped as pods are; nsenter's userns stage):
// Requests on stdin, one JSON document each, and a Response on stdout for
// each, until stdin ends. podctl mostly sends one and closes; a foreground
// podctl run --rm IMAGE keeps the helper that made the layer for the
// layer's removal (sandbox/layers, KeepStoreHelper), so the store stays
// open between requests: the second costs no process, no id mapping and no
// opening of the store. A helper left waiting exits after idleLimit, and
// podctl then starts another.
func Serve() {
	reqs := make(chan images.Request)
	bad := make(chan error, 1)
	go func() {
		dec := json.NewDecoder(os.Stdin)
		for {
			var req images.Request
			if err := dec.Decode(&req); err != nil {
				if err != io.EOF {
					bad <- err
				}
				close(reqs)
				return
			}
			reqs <- req
		}
	}()
	var h helper
	defer h.close()
	enc := json.NewEncoder(os.Stdout)
	for served := 0; ; served++ {
		idle := time.NewTimer(idleLimit)
		select {
		case req, ok := <-reqs:
			idle.Stop()
			if !ok {
				select {
				case err := <-bad:
					enc.Encode(&images.Response{Error: "image store helper: reading the request: " + err.Error()})
				default:
					if served == 0 {
						enc.Encode(&images.Response{Error: "image store helper: no request"})
					}
				}
				return
			}
			enc.Encode(h.serve(req))
		case <-idle.C:
			return
		}
	}
}

// idleLimit is how long a kept helper waits for its next request: long
// enough for a short foreground run (a CI step), short enough that a long
// one does not keep a Go process and an open store beside it.
const idleLimit = 10 * time.Second

// helper holds the store between requests.
type helper struct {
	s storage.Store
}

func (h *helper) close() {
	if h.s != nil {
		shutdown(h.s)
	}
	os.Exit(0)
}

func (h *helper) serve(req images.Request) *images.Response {
	resp := &images.Response{}
	o, err := DefaultOptions()
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	// podctl gc asks every time: a store that was never made stays so.
	if req.Op == "orphans" {
		if _, err := os.Stat(o.GraphRoot); err != nil {
			return resp
		}
	}
	if h.s == nil {
		if h.s, err = Open(o); err != nil {
			resp.Error = err.Error()
			return resp
		}
	}
	s := h.s
	switch req.Op {
	case "prepare":
		resp.Prepared, err = CreateContainer(s, req.Image, req.ID, req.Metadata, req.UIDMap, req.GIDMap, req.SubPath)
		made := []string{req.ID}
		for _, r := range req.More {
			if err != nil {
				break
			}
			var p *images.Prepared
			if p, err = CreateContainer(s, r.Image, r.ID, r.Metadata, r.UIDMap, r.GIDMap, r.SubPath); err != nil {
				resp.Failed = r.Metadata.Container
				DeleteContainers(s, made) // all or none
				resp.Prepared, resp.More = nil, nil
				break
			}
			made = append(made, r.ID)
			resp.More = append(resp.More, p)
		}
	case "delete":
		err = DeleteContainers(s, req.IDs)
	case "orphans":
		known := map[string]bool{}
		for _, id := range req.IDs {
			known[id] = true
		}
		resp.IDs, err = Orphans(s, func(id string) bool { return known[id] })
		if err == nil {
			err = DeleteContainers(s, resp.IDs)
		}
	default:
		resp.Error = "image store helper: unknown operation " + req.Op
	}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp
}
