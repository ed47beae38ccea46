package leak

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"go.podman.io/storage/types"
)

// imageStore lists what containers-storage holds for this user (the store
// podctl shares with podman, as containers-storage.conf(5) places it):
// images with their names, layers, containers, and the graph driver's
// layer directories (a layer whose record is gone but whose files stay
// shows there).
func imageStore() map[string][]string {
	o, err := types.DefaultStoreOptions()
	if err != nil || o.GraphRoot == "" {
		return nil
	}
	driver := o.GraphDriverName
	if driver == "" {
		driver = "overlay"
	}
	at := func(dir string, files ...string) []string {
		out := []string{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(o.GraphRoot, driver+"-"+dir, f))
			if err != nil {
				continue
			}
			var records []struct {
				ID    string   `json:"id"`
				Names []string `json:"names"`
			}
			json.Unmarshal(b, &records)
			for _, r := range records {
				out = append(out, strings.TrimSpace(r.ID+" "+strings.Join(r.Names, ",")))
			}
		}
		return out
	}
	dirs := []string{}
	ents, _ := os.ReadDir(filepath.Join(o.GraphRoot, driver))
	for _, e := range ents {
		if len(e.Name()) == 64 {
			dirs = append(dirs, e.Name())
		}
	}
	store := "image store " + o.GraphRoot + ": "
	return map[string][]string{
		store + "images":            at("images", "images.json"),
		store + "layers":            at("layers", "layers.json", "volatile-layers.json"),
		store + "containers":        at("containers", "containers.json", "volatile-containers.json"),
		store + "layer directories": dirs,
	}
}
