package cri

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/podctl/podctl/images"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The ImageService runs podctl's own image commands, podctl-store's
// (images, image inspect, rmi) and podctl-image's (pull), on the store
// that podctl and podman share: those binaries enter the user namespace
// of the subordinate ids that the store needs, as every podctl image
// command does, and the server stays free of containers-storage's locks
// between calls.

// storeImage is an image as podctl-store lists and inspects it.
type storeImage struct {
	ID     string    `json:"id"`
	Names  []string  `json:"names"`
	Digest string    `json:"digest,omitempty"`
	Size   int64     `json:"size"`
	Config *v1.Image `json:"config,omitempty"`
}

// errNoImage: podctl-store found no such image; imageMissing is how it
// says so (images/store.Find).
var errNoImage = errors.New("image not found")

const imageMissing = "is not in the store"

// imageCmd runs a podctl image binary and returns its standard output;
// its standard error becomes the error.
func imageCmd(ctx context.Context, bin string, args ...string) ([]byte, error) {
	path, err := images.Binary(bin)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if strings.Contains(msg, imageMissing) {
			return nil, fmt.Errorf("%s: %w", msg, errNoImage)
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s %s: %s", bin, args[0], msg)
	}
	return out.Bytes(), nil
}

// criImage is a store image as the CRI lists it: names with a tag are
// repo tags, names with a digest repo digests; the user from its config.
func criImage(img *storeImage) *runtimeapi.Image {
	id := "sha256:" + strings.TrimPrefix(img.ID, "sha256:")
	out := &runtimeapi.Image{Id: id, Size: uint64(max(img.Size, 0)), Spec: &runtimeapi.ImageSpec{Image: id}}
	for _, n := range img.Names {
		if strings.Contains(n, "@") {
			out.RepoDigests = append(out.RepoDigests, n)
		} else {
			out.RepoTags = append(out.RepoTags, n)
			if img.Digest != "" {
				repo := n[:strings.LastIndex(n, ":")]
				if i := strings.LastIndex(n, "/"); strings.LastIndex(n, ":") < i {
					repo = n // no tag
				}
				out.RepoDigests = append(out.RepoDigests, repo+"@"+img.Digest)
			}
		}
	}
	if img.Config != nil && img.Config.Config.User != "" {
		user, _, _ := strings.Cut(img.Config.Config.User, ":")
		if uid, err := strconv.ParseInt(user, 10, 64); err == nil {
			out.Uid = &runtimeapi.Int64Value{Value: uid}
		} else {
			out.Username = user
		}
	}
	return out
}

// inspectImage reads one image of the store, nil if it is not there.
func inspectImage(ctx context.Context, name string) (*storeImage, error) {
	out, err := imageCmd(ctx, images.StoreBinary, "image", "inspect", name)
	if errors.Is(err, errNoImage) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var imgs []storeImage
	if err := json.Unmarshal(out, &imgs); err != nil || len(imgs) != 1 {
		var one storeImage
		if json.Unmarshal(out, &one) == nil && one.ID != "" {
			return &one, nil
		}
		return nil, fmt.Errorf("podctl-store image inspect %s: unexpected output", name)
	}
	return &imgs[0], nil
}

// imageName is the image a request names, which it must.
func imageName(spec *runtimeapi.ImageSpec) (string, error) {
	if spec.GetImage() == "" {
		return "", invalid("image.image is empty: name an image")
	}
	return spec.GetImage(), nil
}

// inspectSpec reads the image a request names: nil if the store does not
// have it; a gRPC error.
func inspectSpec(ctx context.Context, spec *runtimeapi.ImageSpec) (*storeImage, error) {
	name, err := imageName(spec)
	if err != nil {
		return nil, err
	}
	img, err := inspectImage(ctx, name)
	return img, grpcError(err)
}

// ListImages lists the store's images (podman's too: the store is one).
func (s *Server) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	out, err := imageCmd(ctx, images.StoreBinary, "images", "--format", "json")
	if err != nil {
		return nil, grpcError(err)
	}
	var imgs []storeImage
	if err := json.Unmarshal(out, &imgs); err != nil {
		return nil, grpcError(fmt.Errorf("podctl-store images: unexpected output: %w", err))
	}
	resp := &runtimeapi.ListImagesResponse{}
	want := req.GetFilter().GetImage().GetImage()
	for i := range imgs {
		img := criImage(&imgs[i])
		if want != "" && !imageMatches(img, want) {
			continue
		}
		resp.Images = append(resp.Images, img)
	}
	return resp, nil
}

// imageMatches: the filter names the image by id or one of its names.
func imageMatches(img *runtimeapi.Image, name string) bool {
	if strings.TrimPrefix(img.Id, "sha256:") == strings.TrimPrefix(name, "sha256:") {
		return true
	}
	for _, n := range append(img.RepoTags, img.RepoDigests...) {
		if n == name {
			return true
		}
	}
	return false
}

// ImageStatus reports one image, or none (no error) when it is not in
// the store, as the CRI asks.
func (s *Server) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	img, err := inspectSpec(ctx, req.GetImage())
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ImageStatusResponse{}
	if img != nil {
		resp.Image = criImage(img)
		if req.Verbose {
			b, _ := json.Marshal(img.Config)
			resp.Info = map[string]string{"info": string(b)}
		}
	}
	return resp, nil
}

// PullImage copies an image into the store (registries.conf's mirrors and
// short names apply); auth, when given, goes to podctl-image in an
// auth.json of its own that lives as long as the pull.
func (s *Server) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	name, err := imageName(req.GetImage())
	if err != nil {
		return nil, err
	}
	args := []string{"pull", "-q"}
	if a := req.Auth; a != nil && (a.Username != "" || a.Auth != "" || a.IdentityToken != "" || a.RegistryToken != "") {
		file, cleanup, err := authFile(name, a)
		if err != nil {
			return nil, grpcError(err)
		}
		defer cleanup()
		args = append(args, "--authfile", file)
	}
	out, err := imageCmd(ctx, images.TransportBinary, append(args, name)...)
	if err != nil {
		return nil, grpcError(err)
	}
	id := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(id, '\n'); i >= 0 {
		id = id[i+1:]
	}
	return &runtimeapi.PullImageResponse{ImageRef: "sha256:" + strings.TrimPrefix(id, "sha256:")}, nil
}

// authFile writes a's credentials for the registry of image (or a's
// server address) in containers-auth.json(5)'s format.
func authFile(image string, a *runtimeapi.AuthConfig) (string, func(), error) {
	registry := a.ServerAddress
	if registry == "" {
		r, err := images.ParseRef(image)
		if err != nil {
			return "", nil, err
		}
		registry = r.Domain
	}
	registry = strings.TrimPrefix(strings.TrimPrefix(registry, "https://"), "http://")
	entry := map[string]string{}
	switch {
	case a.Auth != "":
		entry["auth"] = a.Auth
	case a.Username != "":
		entry["auth"] = base64.StdEncoding.EncodeToString([]byte(a.Username + ":" + a.Password))
	}
	if a.IdentityToken != "" {
		entry["identitytoken"] = a.IdentityToken
	}
	if a.RegistryToken != "" {
		entry["registrytoken"] = a.RegistryToken
	}
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{registry: entry}})
	dir, err := os.MkdirTemp("", "podctl-cri-auth-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	file := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		cleanup()
		return "", nil, err
	}
	return file, cleanup, nil
}

// RemoveImage removes an image; one that is not there is no error.
func (s *Server) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	img, err := inspectSpec(ctx, req.GetImage())
	if err != nil {
		return nil, err
	}
	if img == nil {
		return &runtimeapi.RemoveImageResponse{}, nil
	}
	// By id: every name of the image goes, as the CRI removes an image.
	if _, err := imageCmd(ctx, images.StoreBinary, "rmi", img.ID); err != nil && !errors.Is(err, errNoImage) {
		return nil, grpcError(err)
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo reports the store's filesystem use: the bytes and inodes
// under its graph root.
func (s *Server) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	root, err := graphRoot(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	bytes, inodes := diskUsage(root)
	u := &runtimeapi.FilesystemUsage{Timestamp: time.Now().UnixNano(), FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: root},
		UsedBytes: &runtimeapi.UInt64Value{Value: bytes}, InodesUsed: &runtimeapi.UInt64Value{Value: inodes}}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{u},
		ContainerFilesystems: []*runtimeapi.FilesystemUsage{u}}, nil
}

// graphRoot is the store's graph root (podctl-store image info).
func graphRoot(ctx context.Context) (string, error) {
	out, err := imageCmd(ctx, images.StoreBinary, "image", "info")
	if err != nil {
		return "", err
	}
	var info struct {
		GraphRoot string `json:"graphRoot"`
	}
	if err := json.Unmarshal(out, &info); err != nil || !filepath.IsAbs(info.GraphRoot) {
		return "", fmt.Errorf("podctl-store image info: no graph root in its answer")
	}
	return info.GraphRoot, nil
}
