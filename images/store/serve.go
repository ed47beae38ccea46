package store

import (
	"encoding/json"
	"os"

	"github.com/podctl/podctl/images"
)

// Serve is the store helper (podctl-image __store-helper, started by podctl
// as uid 0 of a user namespace mapped as pods are; nsenter's userns stage):
// one Request on stdin, one Response on stdout.
func Serve() {
	var req images.Request
	resp := &images.Response{}
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		resp.Error = "image store helper: reading the request: " + err.Error()
	} else {
		resp = serve(req)
	}
	json.NewEncoder(os.Stdout).Encode(resp)
	os.Exit(0)
}

func serve(req images.Request) *images.Response {
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
	s, err := Open(o)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	defer shutdown(s)
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
