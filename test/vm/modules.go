package vm

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// guestModules are the kernel modules the VM loads, relative to the
// kernel's /lib/modules/VERSION, with what modules.dep says they need.
// Everything else the tests use (cgroups, namespaces, seccomp, tmpfs) is
// built into Debian's kernel.
var guestModules = []string{
	// podctl's image store (containers-storage's overlay driver).
	"kernel/fs/overlayfs/overlay.ko",
	// The home disk (disk.go): virtio block device, ext4. ext4 asks the
	// crypto API for crc32c (a soft dependency: modules.softdep), which
	// the kernel would load with modprobe; the VM has none, so it is
	// named here.
	"kernel/drivers/virtio/virtio_pci.ko",
	"kernel/drivers/block/virtio_blk.ko",
	"kernel/crypto/crc32c_generic.ko",
	"kernel/fs/ext4/ext4.ko",
	// /dev/net/tun, where pasta and slirp4netns make a pod's tap.
	"kernel/drivers/net/tun.ko",
	// A network interface with an address and a default route
	// (init/network.go): pasta copies the host's to the pod and will
	// not start without one; nothing answers on it.
	"kernel/drivers/net/dummy.ko",
	// --network bridge: the shared network's bridge and the pods'
	// veths, and its nftables NAT (a nat chain, masquerade); the
	// kernel would load these on demand with modprobe, which the VM
	// lacks.
	"kernel/drivers/net/veth.ko",
	"kernel/net/bridge/bridge.ko",
	"kernel/net/netfilter/nft_chain_nat.ko",
	"kernel/net/netfilter/nft_masq.ko",
}

// kernelModules finds guestModules and their dependencies for kernel
// (/boot/vmlinuz-VERSION) and returns their paths in the VM in the order
// to load them (dependencies first), and the host file to pack for each.
// Newer Debian kernels ship modules compressed (.ko.xz); finit_module(2)
// takes a compressed one only when the kernel was built to decompress it,
// so an xz module is decompressed here, into dir, with xz(1).
func kernelModules(kernel, dir string) ([]string, map[string]string, error) {
	version := strings.TrimPrefix(filepath.Base(kernel), "vmlinuz-")
	base := filepath.Join("/lib/modules", version)
	deps, modFiles, err := readModulesDep(filepath.Join(base, "modules.dep"))
	if err != nil {
		return nil, nil, fmt.Errorf("%w (apt-get install linux-image-%s)", err, version)
	}
	var order []string
	seen := map[string]bool{}
	var visit func(m string) error
	visit = func(m string) error {
		if seen[m] {
			return nil
		}
		seen[m] = true
		d, ok := deps[m]
		if !ok {
			return fmt.Errorf("kernel module %s is not in %s/modules.dep", m, base)
		}
		for _, dep := range d {
			if err := visit(dep); err != nil {
				return err
			}
		}
		order = append(order, m)
		return nil
	}
	for _, m := range guestModules {
		if err := visit(m); err != nil {
			return nil, nil, err
		}
	}
	var paths []string
	files := map[string]string{}
	for _, m := range order {
		host := filepath.Join(base, modFiles[m])
		vmPath := filepath.Join(base, m)
		if host != vmPath {
			out, err := exec.Command("xz", "-dc", host).Output()
			if err != nil {
				return nil, nil, fmt.Errorf("xz -dc %s: %w", host, err)
			}
			host = filepath.Join(dir, filepath.Base(vmPath))
			if err := os.WriteFile(host, out, 0o644); err != nil {
				return nil, nil, err
			}
		}
		paths = append(paths, vmPath)
		files[vmPath] = host
	}
	return paths, files, nil
}

// readModulesDep reads depmod's modules.dep (modules.dep(5)): per module
// "PATH: DEP..." with every dependency, direct or not. It returns the
// dependencies of each module and each module's file, both keyed by the
// path without a compression suffix, so that guestModules name a module
// whether or not it is compressed.
func readModulesDep(path string) (deps map[string][]string, files map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	deps, files = map[string][]string{}, map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		mod, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key := strings.TrimSuffix(mod, ".xz")
		files[key] = mod
		for _, d := range strings.Fields(rest) {
			deps[key] = append(deps[key], strings.TrimSuffix(d, ".xz"))
		}
		if deps[key] == nil {
			deps[key] = []string{}
		}
	}
	return deps, files, sc.Err()
}
