// Package imagebuild writes small container images for podctl's tests,
// demo and benchmarks, from local files only (busybox-static): as an OCI
// image layout, an oci-archive or a docker-archive (docker save's format).
// It also writes the broken images the tests feed podctl on purpose.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Config is the image configuration's "config" object (OCI image-spec).
type Config struct {
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	User         string              `json:"User,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
}

// Image is what to write.
type Image struct {
	Name   string // ref.name annotation / RepoTags entry; may be empty
	Config Config
	Layers [][]byte // uncompressed tar streams, bottom first
	// Gzip compresses the layers (as registries hold them).
	Gzip bool
}

// Entry is one file of a layer made by Layer.
type Entry struct {
	Path     string
	Mode     int64 // permission bits; the type comes from the fields below
	Body     string
	Dir      bool
	Symlink  string // target
	Hardlink string // target (a path in the layer)
	UID, GID int
}

// Layer makes a tar stream of entries, in order, as given: the tests use
// it for hostile layers too (../ paths, links out of the root).
func Layer(entries []Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Path, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		switch {
		case e.Dir:
			h.Typeflag = tar.TypeDir
		case e.Symlink != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Symlink
		case e.Hardlink != "":
			h.Typeflag, h.Linkname = tar.TypeLink, e.Hardlink
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if e.Dir {
				h.Mode = 0o755
			}
		}
		tw.WriteHeader(h)
		tw.Write([]byte(e.Body))
	}
	tw.Close()
	return buf.Bytes()
}

// DirLayer makes a layer of the tree at dir; owners maps a path in the
// layer ("etc/app") to the uid:gid it gets (others are 0:0).
func DirLayer(dir string, owners map[string][2]int) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A file with several names is written once, and its other names as
	// hard links to the first (as the busybox image has its applets).
	first := map[uint64]string{}
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			if name, ok := first[st.Ino]; ok {
				h := &tar.Header{Typeflag: tar.TypeLink, Name: filepath.ToSlash(rel), Linkname: name, Mode: int64(fi.Mode().Perm()),
					ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
				if err := tw.WriteHeader(h); err != nil {
					return nil, err
				}
				continue
			}
			first[st.Ino] = filepath.ToSlash(rel)
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return nil, err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		if o, ok := owners[strings.TrimSuffix(h.Name, "/")]; ok {
			h.Uid, h.Gid = o[0], o[1]
		}
		h.ModTime, h.AccessTime, h.ChangeTime = time.Unix(0, 0), time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			tw.Write(b)
		}
	}
	return buf.Bytes(), tw.Close()
}

type blob struct {
	digest string // sha256:hex
	data   []byte
}

func newBlob(b []byte) blob {
	sum := sha256.Sum256(b)
	return blob{"sha256:" + hex.EncodeToString(sum[:]), b}
}

func (b blob) hex() string { return strings.TrimPrefix(b.digest, "sha256:") }

// parts are the image's blobs: config, layers (as stored), and the
// uncompressed digests (diff_ids).
func (img Image) parts() (config blob, layers []blob) {
	var diffIDs []string
	for _, l := range img.Layers {
		diffIDs = append(diffIDs, newBlob(l).digest)
		if img.Gzip {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(l)
			w.Close()
			layers = append(layers, newBlob(z.Bytes()))
		} else {
			layers = append(layers, newBlob(l))
		}
	}
	cfg, _ := json.Marshal(map[string]any{
		"created": "2026-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
		"config": img.Config,
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	return newBlob(cfg), layers
}

// WriteOCILayout writes the image as an OCI image layout in dir (the oci:
// transport), and returns the manifest's digest.
func (img Image) WriteOCILayout(dir string) (string, error) {
	files, mdigest := img.ociFiles()
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
	}
	return mdigest, nil
}

func (img Image) ociFiles() (map[string][]byte, string) {
	config, layers := img.parts()
	mt := "application/vnd.oci.image.layer.v1.tar"
	if img.Gzip {
		mt += "+gzip"
	}
	var ldesc []map[string]any
	files := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`)}
	for _, l := range layers {
		ldesc = append(ldesc, map[string]any{"mediaType": mt, "digest": l.digest, "size": len(l.data)})
		files["blobs/sha256/"+l.hex()] = l.data
	}
	man, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": len(config.data)},
		"layers": ldesc,
	})
	m := newBlob(man)
	files["blobs/sha256/"+config.hex()] = config.data
	files["blobs/sha256/"+m.hex()] = m.data
	desc := map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m.digest, "size": len(m.data)}
	if img.Name != "" {
		desc["annotations"] = map[string]string{"org.opencontainers.image.ref.name": img.Name}
	}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{desc}})
	files["index.json"] = idx
	return files, m.digest
}

// WriteOCIArchive writes the image as an oci-archive: a tar of the layout.
func (img Image) WriteOCIArchive(path string) error {
	files, _ := img.ociFiles()
	return writeTar(path, files)
}

// WriteDockerArchive writes the image as docker save does: manifest.json
// naming the config and the (uncompressed) layer tars.
func (img Image) WriteDockerArchive(path string) error {
	config, _ := img.parts()
	files := map[string][]byte{config.hex() + ".json": config.data}
	var lnames []string
	for _, l := range img.Layers {
		b := newBlob(l)
		name := b.hex() + "/layer.tar"
		files[name] = l
		lnames = append(lnames, name)
	}
	entry := map[string]any{"Config": config.hex() + ".json", "Layers": lnames}
	if img.Name != "" {
		entry["RepoTags"] = []string{img.Name}
	}
	man, _ := json.Marshal([]any{entry})
	files["manifest.json"] = man
	return writeTar(path, files)
}

func writeTar(path string, files map[string][]byte) error {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	dirs := map[string]bool{}
	for _, n := range names {
		for d := filepath.Dir(n); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var dnames []string
	for d := range dirs {
		dnames = append(dnames, d)
	}
	sort.Strings(dnames)
	for _, d := range dnames {
		tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)})
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n])), ModTime: time.Unix(0, 0)}); err != nil {
			f.Close()
			return err
		}
		tw.Write(files[n])
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Write writes the image in format (oci, oci-archive, docker-archive).
func (img Image) Write(format, path string) error {
	switch format {
	case "oci":
		_, err := img.WriteOCILayout(path)
		return err
	case "oci-archive":
		return img.WriteOCIArchive(path)
	case "docker-archive":
		return img.WriteDockerArchive(path)
	}
	return fmt.Errorf("unknown format %q: oci, oci-archive or docker-archive", format)
}
