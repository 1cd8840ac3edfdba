//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ext returns the path of name in a directory of its own at the top of
// the mount, which the mount has never listed: objects stored there behind
// its back are found at once (a directory the mount created, like c.dir, is
// known to be empty for the attribute cache's lifetime).
func (c *pc) ext(name string) string {
	return filepath.Join(c.mountDir, "posix-ext-"+filepath.Base(c.dir), name)
}

// putObject stores an object named by its path under the mount, with no
// metadata, behind the mount's back (mountOnly checks).
func (c *pc) putObject(p, data string) {
	if c.err != nil {
		return
	}
	key, err := filepath.Rel(c.mountDir, p)
	if err == nil {
		_, err = c.store.Put(context.Background(), key, strings.NewReader(data), storage.PutOptions{})
	}
	c.ok("put object", err)
}

// listed returns the d_type p has in its directory's listing, recording a
// failure if it is not listed.
func (c *pc) listed(p string) uint8 {
	if c.err != nil {
		return 0
	}
	fd, err := unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		c.ok("open directory", err)
		return 0
	}
	defer unix.Close(fd)
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil || n == 0 {
			c.ok("getdents", err)
			c.failf("%s missing from its directory's listing", filepath.Base(p))
			return 0
		}
		// struct linux_dirent64: ino, off (8 bytes each), reclen (2),
		// type (1), name.
		for b := buf[:n]; len(b) > 0; {
			reclen := int(uint16(b[16]) | uint16(b[17])<<8)
			typ, name := b[18], unix.ByteSliceToString(b[19:reclen])
			b = b[reclen:]
			if name == filepath.Base(p) {
				return typ
			}
		}
	}
}

// posixDirentType is the d_type of st_mode: the type bits over 12.
func posixDirentType(mode uint32) uint8 { return uint8(mode & unix.S_IFMT >> 12) }

// posixKept is a path whose attributes must look the same after a remount.
type posixKept struct {
	label           string
	path            string
	atime           bool // compare atime too
	want            posixAttrs
	knownBug, bugOn string // as in posixCheck
}

// keep asks for p's attributes (and data or link target) to be compared
// after the remount, as they are when the check ends.
func (c *pc) keep(p string) { c.keeps = append(c.keeps, posixKept{label: c.label(p), path: p}) }

// keepAtime is keep, comparing atime as well.
func (c *pc) keepAtime(p string) {
	c.keeps = append(c.keeps, posixKept{label: c.label(p) + " (with atime)", path: p, atime: true})
}

func (c *pc) label(p string) string {
	return fmt.Sprintf("%s: %s: %s", c.group, c.check, filepath.Base(p))
}

// gone asks for p to still be missing after the remount.
func (c *pc) gone(p string) {
	c.again(filepath.Base(p)+" stays removed", func(c *pc) { c.missing(p) })
}

// again adds a check to run on the remounted filesystem.
func (c *pc) again(name string, fn func(c *pc)) {
	c.after = append(c.after, posixCheck{name: fmt.Sprintf("%s: %s: %s", c.group, c.check, name), run: fn})
}

// againDocumented adds a check to run on the remounted filesystem that
// asserts a documented limitation.
func (c *pc) againDocumented(name, reason string, fn func(c *pc)) {
	c.again(name, fn)
	c.after[len(c.after)-1].unsupported = reason
}

// posixAttrs is what a remount must preserve of one entry.
type posixAttrs struct {
	mode, uid, gid uint32
	rdev           uint64
	size           int64
	mtime, atime   int64 // whole seconds: the stored resolution
	link, data     string
}

func posixSnapshot(p string, withAtime bool) (posixAttrs, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return posixAttrs{}, fmt.Errorf("lstat %s: %w", filepath.Base(p), posixErrno(err))
	}
	a := posixAttrs{mode: st.Mode, uid: st.Uid, gid: st.Gid, rdev: st.Rdev, size: st.Size, mtime: st.Mtim.Sec}
	if withAtime {
		a.atime = st.Atim.Sec
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFLNK:
		buf := make([]byte, 4096)
		n, err := unix.Readlink(p, buf)
		if err != nil {
			return posixAttrs{}, fmt.Errorf("readlink %s: %w", filepath.Base(p), posixErrno(err))
		}
		a.link = string(buf[:n])
	case unix.S_IFREG:
		if st.Size <= 1<<20 {
			d, err := posixRead(p)
			if err != nil {
				return posixAttrs{}, fmt.Errorf("read %s: %w", filepath.Base(p), posixErrno(err))
			}
			a.data = d
		}
	}
	return a, nil
}

func (a posixAttrs) diff(b posixAttrs) error {
	var d []string
	if a.mode != b.mode {
		d = append(d, fmt.Sprintf("st_mode %#o, was %#o", b.mode, a.mode))
	}
	if a.rdev != b.rdev {
		d = append(d, fmt.Sprintf("st_rdev %#x, was %#x", b.rdev, a.rdev))
	}
	if a.uid != b.uid || a.gid != b.gid {
		d = append(d, fmt.Sprintf("owner %d:%d, was %d:%d", b.uid, b.gid, a.uid, a.gid))
	}
	if a.size != b.size {
		d = append(d, fmt.Sprintf("size %d, was %d", b.size, a.size))
	}
	if a.mtime != b.mtime {
		d = append(d, fmt.Sprintf("mtime %d, was %d", b.mtime, a.mtime))
	}
	if a.atime != b.atime {
		d = append(d, fmt.Sprintf("atime %d, was %d", b.atime, a.atime))
	}
	if a.link != b.link {
		d = append(d, fmt.Sprintf("link target %q, was %q", posixClip(b.link), posixClip(a.link)))
	}
	if a.data != b.data {
		d = append(d, fmt.Sprintf("data %q, was %q", posixClip(b.data), posixClip(a.data)))
	}
	if len(d) > 0 {
		return errors.New("after remount: " + strings.Join(d, "; "))
	}
	return nil
}
