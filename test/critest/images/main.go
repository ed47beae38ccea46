// Command critest-images serves, on 127.0.0.1, the images that cri-tools'
// critest v1.37.0 pulls (from registry.k8s.io, k8s.gcr.io and gcr.io, none
// of them reachable here), synthesized from a busybox rootfs under the
// exact names critest asks for, and writes the registries.conf that makes
// podctl pull them from here as mirrors of those registries: the names
// critest checks stay the names it asked for. It serves until killed.
//
//	critest-images -rootfs DIR -conf registries.conf [-addr-file F]
//
// The stand-ins behave as critest checks them: the web servers (nginx,
// httpd) answer HTTP on port 80 with busybox's httpd; the user images run
// as the uid, user and groups critest expects; the tag and digest images
// are distinct or identical as critest's image tests need. An image pinned
// by digest (test-image-digest@sha256:...) cannot be made again offline:
// that spec fails, and docs/cri.md says so.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/podctl/podctl/test/imagebuild"
)

const (
	e2e    = "registry.k8s.io/e2e-test-images/"
	staged = "gcr.io/k8s-staging-cri-tools/"
)

// passwd and group of the user images (critest's images/image-user).
const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/sh\nuser1002:x:1002:1002::/home:/bin/sh\nuser1000:x:1000:1000::/home:/bin/sh\n"
const group = "root:x:0:\nnogroup:x:65534:\nwww-data:x:33:\ngroup1002:x:1002:\ngroup1003:x:1003:\ngroup50000:x:50000:user1000\n"

// pgrep PATTERN: the pids whose command name matches, from /proc.
const pgrep = "#!/bin/sh\nfor d in /proc/[0-9]*; do grep -q -- \"$1\" $d/comm 2>/dev/null && echo ${d#/proc/}; done; exit 0\n"

// ipcs -m: the System V shared memory segments of the caller's IPC
// namespace, as the kernel lists them (proc(5), /proc/sysvipc/shm), which
// Debian's busybox-static lacks an applet for.
const ipcs = "#!/bin/sh\ncat /proc/sysvipc/shm\n"

func main() {
	rootfs := flag.String("rootfs", "", "a busybox rootfs (test/lib.sh's make_busybox_rootfs)")
	conf := flag.String("conf", "", "where to write registries.conf")
	addrFile := flag.String("addr-file", "", "where to write host:port once serving")
	nonewprivs := flag.String("nonewprivs", "", "the static binary of test/critest/nonewprivs")
	flag.Parse()
	if *rootfs == "" || *conf == "" {
		log.Fatal("usage: critest-images -rootfs DIR -conf registries.conf")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(l, registry.New(registry.Logger(log.New(os.Stderr, "", 0))))
	addr := l.Addr().String()
	base, err := imagebuild.DirLayer(*rootfs, nil)
	if err != nil {
		log.Fatal(err)
	}
	nnp, err := os.ReadFile(*nonewprivs)
	if err != nil {
		log.Fatal("-nonewprivs: ", err)
	}
	for ref, img := range images(base, string(nnp)) {
		if err := push(addr, ref, img); err != nil {
			log.Fatalf("%s: %v", ref, err)
		}
	}
	if err := os.WriteFile(*conf, []byte(registriesConf(addr)), 0o644); err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		os.WriteFile(*addrFile, []byte(addr+"\n"), 0o644)
	}
	fmt.Println("serving critest's images on", addr)
	select {}
}

// images are critest's references and what each one is.
func images(base []byte, nonewprivs string) map[string]imagebuild.Image {
	// critest's users, and a pgrep and an ipcs, which the real busybox
	// image has and Debian's busybox-static does not.
	users := []imagebuild.Entry{
		{Path: "etc/", Dir: true}, {Path: "etc/passwd", Body: passwd}, {Path: "etc/group", Body: group},
		{Path: "var/", Dir: true}, {Path: "var/www/", Dir: true, UID: 33, GID: 33},
		{Path: "bin/", Dir: true}, {Path: "bin/pgrep", Mode: 0o755, Body: pgrep}, {Path: "bin/ipcs", Mode: 0o755, Body: ipcs},
	}
	img := func(cfg imagebuild.Config, extra ...imagebuild.Entry) imagebuild.Image {
		if cfg.Env == nil {
			cfg.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		}
		// Every image has critest's users (busybox:1.29's nobody too).
		i := imagebuild.Image{Config: cfg, Layers: [][]byte{base, imagebuild.Layer(users)}, Gzip: true}
		if len(extra) > 0 {
			i.Layers = append(i.Layers, imagebuild.Layer(extra))
		}
		return i
	}
	// A web server as critest's nginx and httpd: busybox httpd on :80
	// under a shell that is the container's PID 1, its pid where nginx
	// keeps it and "master process" in its command line (what critest
	// looks for in /proc/1/cmdline); it says its name on stderr first, as
	// the real ones log at start, and ends on SIGTERM.
	web := func(name string, port int, page string) imagebuild.Image {
		script := "echo " + name + ": started >&2; mkdir -p /var/run && echo $$ > /var/run/nginx.pid; " +
			"httpd -f -p " + fmt.Sprint(port) + " -h /www & trap 'kill $!; exit 0' TERM; wait"
		return img(imagebuild.Config{Cmd: []string{"/bin/sh", "-c", script, name + ": master process"}},
			imagebuild.Entry{Path: "www/", Dir: true}, imagebuild.Entry{Path: "www/index.html", Body: page},
			imagebuild.Entry{Path: "var/", Dir: true}, imagebuild.Entry{Path: "var/run/", Dir: true})
	}
	sh := []string{"/bin/sh"}
	out := map[string]imagebuild.Image{
		e2e + "busybox:1.29-2": img(imagebuild.Config{Cmd: sh}),
		e2e + "nginx:1.14-2":   web("nginx", 80, "<h1>Welcome to nginx!</h1>\n"),
		e2e + "httpd:2.4.39-4": web("httpd", 80, "<html><body><h1>It works!</h1></body></html>\n"),
		e2e + "nonewprivs:1.3": img(imagebuild.Config{Entrypoint: []string{"/nonewprivs"}},
			imagebuild.Entry{Path: "nonewprivs", Mode: 0o4755, Body: nonewprivs}),
		"registry.k8s.io/pause:3.9":               img(imagebuild.Config{Cmd: []string{"/bin/sleep", "2147483647"}}),
		"k8s.gcr.io/pause:3.9":                    img(imagebuild.Config{Cmd: []string{"/bin/sleep", "2147483647"}}),
		staged + "test-image-user-uid":            img(imagebuild.Config{Cmd: sh, User: "1002"}),
		staged + "test-image-user-username":       img(imagebuild.Config{Cmd: sh, User: "www-data"}),
		staged + "test-image-user-uid-group":      img(imagebuild.Config{Cmd: sh, User: "1003:1003"}),
		staged + "test-image-user-username-group": img(imagebuild.Config{Cmd: sh, User: "www-data:www-data"}),
		staged + "test-image-predefined-group":    img(imagebuild.Config{Cmd: sh, User: "1000"}),
		staged + "test-image-latest":              img(imagebuild.Config{Cmd: sh}),
		staged + "test-image-tag:test":            img(imagebuild.Config{Cmd: sh}),
		staged + "test-image-tag:all":             img(imagebuild.Config{Cmd: sh}),
		staged + "hostnet-nginx-amd64":            web("nginx", 12003, "<h1>Welcome to nginx!</h1>\n"),
	}
	// Each image is an image of its own (critest counts the store's
	// images and their tags): a file with its name tells them apart, but
	// for the three tags of one image and the pause under two registries.
	for ref, i := range out {
		if !strings.HasSuffix(ref, "/pause:3.9") {
			i.Layers = append(i.Layers, imagebuild.Layer([]imagebuild.Entry{{Path: "image-name", Body: ref + "\n"}}))
			out[ref] = i
		}
	}
	for i := 1; i <= 3; i++ {
		out[fmt.Sprintf("%stest-image-tags:%d", staged, i)] = img(imagebuild.Config{Cmd: sh}, imagebuild.Entry{Path: "tags", Body: "same\n"})
		out[fmt.Sprintf("%stest-image-%d:latest", staged, i)] = img(imagebuild.Config{Cmd: sh}, imagebuild.Entry{Path: "which", Body: fmt.Sprintf("%d\n", i)})
	}
	return out
}

// push writes img into the registry at addr as the mirror of ref:
// addr/REGISTRY/PATH:TAG.
func push(addr, ref string, img imagebuild.Image) error {
	dir, err := os.MkdirTemp("", "critest-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := img.WriteOCILayout(dir); err != nil {
		return err
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		return fmt.Errorf("the OCI layout in %s: %v", dir, err)
	}
	v1img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return err
	}
	if !strings.Contains(ref, ":") || strings.LastIndex(ref, ":") < strings.LastIndex(ref, "/") {
		ref += ":latest"
	}
	dst, err := name.ParseReference(addr+"/"+ref, name.Insecure)
	if err != nil {
		return err
	}
	return remote.Write(dst, v1img)
}

// registriesConf mirrors each registry critest names to addr/REGISTRY,
// over plain HTTP (insecure: the registry is on loopback).
func registriesConf(addr string) string {
	var b strings.Builder
	b.WriteString("# critest's registries, mirrored on " + addr + " (test/critest/images)\n")
	b.WriteString("unqualified-search-registries = []\n")
	for _, r := range []string{"registry.k8s.io", "k8s.gcr.io", "gcr.io"} {
		fmt.Fprintf(&b, "\n[[registry]]\nprefix = %q\nlocation = %q\n\n[[registry.mirror]]\nlocation = %q\ninsecure = true\n",
			r, r, addr+"/"+r)
	}
	return b.String()
}
