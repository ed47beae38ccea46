package vm

import (
	"bufio"
	"fmt"
	"io"
)

// cpioWriter writes the "newc" cpio format, the one the kernel unpacks
// into its initial rootfs (Documentation/driver-api/early-userspace/
// buffer-format.rst). Written here rather than with cpio(1) so that the
// owner and mode of every entry (setuid root newuidmap, a rootfs owned by
// the test user) are what the test says, whoever runs it.
//
// Each entry is a 110-byte ASCII header ("070701" and thirteen 8-digit
// hexadecimal fields), the NUL-terminated name padded to a multiple of
// four bytes, then the data padded likewise; a "TRAILER!!!" entry ends
// the archive.
type cpioWriter struct {
	w   *bufio.Writer
	n   int64  // bytes written, for the padding
	ino uint32 // the next inode number: unique, so that nothing is taken for a hard link
}

// File types of the header's mode field (inode(7)).
const (
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFLNK = 0o120000
	sIFCHR = 0o020000
)

func newCpioWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: bufio.NewWriterSize(w, 1<<20), ino: 1}
}

// cpioHeader is one entry's metadata.
type cpioHeader struct {
	name                 string // without a leading slash
	mode                 uint32 // type and permission bits
	uid, gid             int
	mtime                int64
	size                 int64
	rdevMajor, rdevMinor uint32
}

// entry writes a header and its name; the caller writes h.size bytes of
// data and then calls pad.
func (c *cpioWriter) entry(h cpioHeader) error {
	nlink := 1
	if h.mode&0o170000 == sIFDIR {
		nlink = 2
	}
	ino := c.ino
	c.ino++
	_, err := fmt.Fprintf(c.w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\x00",
		ino, h.mode, h.uid, h.gid, nlink, uint32(h.mtime), uint32(h.size),
		0, 0, h.rdevMajor, h.rdevMinor, len(h.name)+1, 0, h.name)
	c.n += 110 + int64(len(h.name)) + 1
	if err != nil {
		return err
	}
	return c.pad()
}

// write writes data of the current entry.
func (c *cpioWriter) write(p []byte) error {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return err
}

// copyFrom writes size bytes of the current entry from r.
func (c *cpioWriter) copyFrom(r io.Reader, size int64) error {
	n, err := io.CopyN(c.w, r, size)
	c.n += n
	return err
}

// pad aligns the archive to four bytes.
func (c *cpioWriter) pad() error {
	for c.n%4 != 0 {
		if err := c.w.WriteByte(0); err != nil {
			return err
		}
		c.n++
	}
	return nil
}

// close writes the trailer and flushes.
func (c *cpioWriter) close() error {
	if err := c.entry(cpioHeader{name: "TRAILER!!!"}); err != nil {
		return err
	}
	return c.w.Flush()
}
