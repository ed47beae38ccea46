package vm

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// tree is the initramfs being assembled: every entry by its absolute path
// in the VM. Entries are written sorted, so that a directory comes before
// what it holds (the kernel creates each entry in a directory that must
// already exist); directories nobody added are made 0755 root.
type tree map[string]*node

type node struct {
	mode     uint32 // type and permission bits (cpio.go)
	uid, gid int
	src      string // regular file: a host file to copy
	data     []byte // regular file: its content, when src is empty
	target   string // symbolic link
	major    uint32 // character device
	minor    uint32
}

func (t tree) add(name string, n *node) {
	name = path.Clean("/" + name)
	for d := path.Dir(name); d != "/"; d = path.Dir(d) {
		if _, ok := t[d]; !ok {
			t[d] = &node{mode: sIFDIR | 0o755}
		}
	}
	t[name] = n
}

// dir adds a directory.
func (t tree) dir(name string, perm uint32, uid, gid int) {
	t.add(name, &node{mode: sIFDIR | perm, uid: uid, gid: gid})
}

// file adds a copy of host file src.
func (t tree) file(name, src string, perm uint32, uid, gid int) {
	t.add(name, &node{mode: sIFREG | perm, uid: uid, gid: gid, src: src})
}

// data adds a file with the given content, root's.
func (t tree) data(name string, content []byte, perm uint32) {
	t.add(name, &node{mode: sIFREG | perm, data: content})
}

func (t tree) symlink(name, target string) {
	t.add(name, &node{mode: sIFLNK | 0o777, target: target})
}

func (t tree) charDev(name string, perm, major, minor uint32) {
	t.add(name, &node{mode: sIFCHR | perm, major: major, minor: minor})
}

// hostTree adds the host directory src at name, types and permission bits
// as they are, every entry owned by uid:gid. Only directories, regular
// files and symbolic links are expected.
func (t tree) hostTree(name, src string, uid, gid int) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := path.Join(name, filepath.ToSlash(rel))
		fi, err := d.Info()
		if err != nil {
			return err
		}
		perm := unixPerm(fi.Mode())
		switch {
		case fi.IsDir():
			t.dir(dst, perm, uid, gid)
		case fi.Mode().IsRegular():
			t.file(dst, p, perm, uid, gid)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			t.add(dst, &node{mode: sIFLNK | 0o777, target: target, uid: uid, gid: gid})
		default:
			return fmt.Errorf("%s: unexpected file type %v", p, fi.Mode().Type())
		}
		return nil
	})
}

// unixPerm is the permission bits of m as in st_mode, set-id and sticky
// bits included (Go's fs.FileMode keeps those elsewhere).
func unixPerm(m fs.FileMode) uint32 {
	perm := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		perm |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		perm |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		perm |= 0o1000
	}
	return perm
}

// write writes the tree as a newc cpio archive and returns the bytes of
// file data it holds.
func (t tree) write(w io.Writer) (int64, error) {
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	// A directory's path is a prefix of its entries' paths, so it sorts
	// before them.
	sort.Strings(names)
	cw := newCpioWriter(w)
	now := time.Now().Unix()
	var total int64
	for _, name := range names {
		n := t[name]
		h := cpioHeader{name: strings.TrimPrefix(name, "/"), mode: n.mode, uid: n.uid, gid: n.gid, mtime: now,
			rdevMajor: n.major, rdevMinor: n.minor}
		size, err := t.writeEntry(cw, h, n)
		if err != nil {
			return total, fmt.Errorf("initramfs %s: %w", name, err)
		}
		total += size
	}
	return total, cw.close()
}

// writeEntry writes one entry and returns the size of its data.
func (t tree) writeEntry(cw *cpioWriter, h cpioHeader, n *node) (int64, error) {
	switch {
	case n.mode&0o170000 == sIFLNK:
		h.size = int64(len(n.target))
		if err := cw.entry(h); err != nil {
			return 0, err
		}
		if err := cw.write([]byte(n.target)); err != nil {
			return 0, err
		}
	case n.src != "":
		f, err := os.Open(n.src)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return 0, err
		}
		h.size = fi.Size()
		if err := cw.entry(h); err != nil {
			return 0, err
		}
		if err := cw.copyFrom(f, h.size); err != nil {
			return 0, err
		}
	default:
		h.size = int64(len(n.data))
		if err := cw.entry(h); err != nil {
			return 0, err
		}
		if err := cw.write(n.data); err != nil {
			return 0, err
		}
	}
	return h.size, cw.pad()
}
