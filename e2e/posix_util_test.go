//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// pc is the state of one running check: its fresh directory and the first
// error it met. Every helper does nothing once an error is recorded, so a
// check reads as a straight list of steps and reports its first failure.
// Helpers called inside c.as run on the identity's own thread; c.as waits
// for it, so only one goroutine touches c at a time.
type pc struct {
	dir          string // fresh, owned by root, mode 0755
	store        storage.Backend
	mountDir     string
	group, check string
	err          error
	keeps        []posixKept
	after        []posixCheck
}

func (c *pc) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// p returns the path of name inside the check's directory.
func (c *pc) p(name string) string { return filepath.Join(c.dir, name) }

// ok records err, if any, as the failure of op.
func (c *pc) ok(op string, err error) {
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("%s: %w", op, posixErrno(err))
	}
}

// errno records a failure unless op failed with one of want.
func (c *pc) errno(op string, err error, want ...unix.Errno) {
	for _, w := range want {
		if errors.Is(err, w) {
			return
		}
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = unix.ErrnoName(w)
	}
	if c.err != nil {
		return
	}
	if err == nil {
		c.err = fmt.Errorf("%s: succeeded, want %s", op, strings.Join(names, " or "))
		return
	}
	c.err = fmt.Errorf("%s: got %w, want %s", op, posixErrno(err), strings.Join(names, " or "))
}

// posixErrno makes an errno print with its name, keeping it for errors.Is.
func posixErrno(err error) error {
	var en unix.Errno
	if errors.As(err, &en) && unix.ErrnoName(en) != "" {
		return namedErrno{en}
	}
	return err
}

type namedErrno struct{ unix.Errno }

func (e namedErrno) Error() string { return unix.ErrnoName(e.Errno) + " (" + e.Errno.Error() + ")" }
func (e namedErrno) Unwrap() error { return e.Errno }

// as runs fn with identity cr on a thread of its own (see posixAs).
func (c *pc) as(cr posixCred, fn func()) {
	if c.err != nil {
		return
	}
	if err := posixAs(cr, func() error { fn(); return nil }); err != nil {
		c.failf("%v", err)
	}
}

// file creates name as root with the given data, owner and mode (set in
// that order, so a chown cannot clear set-id bits of the final mode).
func (c *pc) file(name string, mode uint32, uid, gid int, data string) string {
	p := c.p(name)
	if c.err == nil {
		c.ok("create "+name, posixMkfile(p, mode, uid, gid, data))
	}
	return p
}

// mkdir creates directory name as root with the given owner and mode.
func (c *pc) mkdir(name string, mode uint32, uid, gid int) string {
	p := c.p(name)
	if c.err == nil {
		c.ok("mkdir "+name, posixMkdir(p, mode, uid, gid))
	}
	return p
}

// symlink creates name -> target as root, owned by uid:gid.
func (c *pc) symlink(target, name string, uid, gid int) string {
	p := c.p(name)
	if c.err == nil {
		c.ok("symlink "+name, unix.Symlink(target, p))
		c.ok("lchown "+name, unix.Lchown(p, uid, gid))
	}
	return p
}

func posixMkfile(p string, mode uint32, uid, gid int, data string) error {
	if err := posixWrite(p, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600, data); err != nil {
		return err
	}
	if err := unix.Chown(p, uid, gid); err != nil {
		return err
	}
	return unix.Chmod(p, mode)
}

func posixMkdir(p string, mode uint32, uid, gid int) error {
	if err := unix.Mkdir(p, 0o700); err != nil {
		return err
	}
	if err := unix.Chown(p, uid, gid); err != nil {
		return err
	}
	return unix.Chmod(p, mode)
}

// posixWrite opens p with flags, writes data and closes it.
func posixWrite(p string, flags int, perm uint32, data string) error {
	fd, err := unix.Open(p, flags|unix.O_CLOEXEC, perm)
	if err != nil {
		return err
	}
	if data != "" {
		if _, err := unix.Write(fd, []byte(data)); err != nil {
			unix.Close(fd)
			return err
		}
	}
	return unix.Close(fd)
}

// posixRead returns the whole content of p.
func posixRead(p string) (string, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	return posixReadFD(fd)
}

func posixReadFD(fd int) (string, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

// posixOpenClose opens p with flags and closes it again.
func posixOpenClose(p string, flags int) error {
	fd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// open opens p and returns the descriptor, or -1 after recording a failure.
func (c *pc) open(p string, flags int, perm uint32) int {
	if c.err != nil {
		return -1
	}
	fd, err := unix.Open(p, flags|unix.O_CLOEXEC, perm)
	if err != nil {
		c.ok("open "+filepath.Base(p), err)
		return -1
	}
	return fd
}

func (c *pc) close(fd int) {
	if fd >= 0 {
		c.ok("close", unix.Close(fd))
	}
}

// write writes data to p opened with flags.
func (c *pc) write(p string, flags int, data string) {
	if c.err == nil {
		c.ok("write "+filepath.Base(p), posixWrite(p, flags, 0o644, data))
	}
}

// stat returns the lstat of p, recording a failure if there is none.
func (c *pc) stat(p string) unix.Stat_t {
	var st unix.Stat_t
	if c.err == nil {
		c.ok("lstat "+filepath.Base(p), unix.Lstat(p, &st))
	}
	return st
}

// perm checks the permission and set-id bits of p.
func (c *pc) perm(p string, want uint32) {
	st := c.stat(p)
	if c.err == nil && st.Mode&0o7777 != want {
		c.failf("%s: mode %04o, want %04o", filepath.Base(p), st.Mode&0o7777, want)
	}
}

// mode checks type and permission bits of p.
func (c *pc) mode(p string, want uint32) {
	st := c.stat(p)
	if c.err == nil && st.Mode != want {
		c.failf("%s: st_mode %#o, want %#o", filepath.Base(p), st.Mode, want)
	}
}

func (c *pc) owner(p string, uid, gid int) {
	st := c.stat(p)
	if c.err == nil && (int(st.Uid) != uid || int(st.Gid) != gid) {
		c.failf("%s: owner %d:%d, want %d:%d", filepath.Base(p), st.Uid, st.Gid, uid, gid)
	}
}

func (c *pc) size(p string, want int64) {
	st := c.stat(p)
	if c.err == nil && st.Size != want {
		c.failf("%s: size %d, want %d", filepath.Base(p), st.Size, want)
	}
}

func (c *pc) data(p, want string) {
	if c.err != nil {
		return
	}
	got, err := posixRead(p)
	switch {
	case err != nil:
		c.ok("read "+filepath.Base(p), err)
	case got != want:
		c.failf("%s holds %q, want %q", filepath.Base(p), posixClip(got), posixClip(want))
	}
}

func posixClip(s string) string {
	if len(s) > 40 {
		return s[:40] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// missing checks that p does not exist.
func (c *pc) missing(p string) {
	if c.err == nil {
		var st unix.Stat_t
		c.errno("lstat "+filepath.Base(p), unix.Lstat(p, &st), unix.ENOENT)
	}
}

// posixName returns a name of n bytes.
func posixName(n int) string { return strings.Repeat("n", n) }

// posixNameRefused records err of op making p: nil, or ENAMETOOLONG when
// the store refuses the key a long name needs (MinIO: a directory marker
// or a symlink key whose last segment its own suffixes take past 255
// bytes), in which case p must not exist. It reports the refusal.
func posixNameRefused(c *pc, op string, err error, p string) bool {
	if errors.Is(err, unix.ENAMETOOLONG) {
		c.missing(p)
		return true
	}
	c.ok(op, err)
	return false
}
