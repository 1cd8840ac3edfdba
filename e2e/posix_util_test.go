//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

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

// listed checks that p shows in its directory's listing with its type.
func (c *pc) listed(p string) {
	if c.err != nil {
		return
	}
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		c.ok("lstat "+filepath.Base(p), err)
		return
	}
	fd, err := unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		c.ok("open directory", err)
		return
	}
	defer unix.Close(fd)
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil || n == 0 {
			c.ok("getdents", err)
			if c.err == nil {
				c.failf("%s missing from its directory's listing", filepath.Base(p))
			}
			return
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(uint16(b[16]) | uint16(b[17])<<8)
			typ, name := b[18], unix.ByteSliceToString(b[19:reclen])
			b = b[reclen:]
			if name != filepath.Base(p) {
				continue
			}
			if want := posixDirentType(st.Mode); typ != want {
				c.failf("%s listed with d_type %d, want %d", name, typ, want)
			}
			return
		}
	}
}

func posixDirentType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	}
	return unix.DT_REG
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

// mtime and ctime return the times of p.
func (c *pc) mtime(p string) unix.Timespec { return c.stat(p).Mtim }
func (c *pc) ctime(p string) unix.Timespec { return c.stat(p).Ctim }
func (c *pc) atime(p string) unix.Timespec { return c.stat(p).Atim }

// later checks that the named time of p moved past before (by whole
// seconds; callers wait for the next second first).
func (c *pc) later(what, p string, before, after unix.Timespec) {
	if c.err == nil && after.Sec <= before.Sec {
		c.failf("%s of %s did not change: before %s, after %s", what, filepath.Base(p), posixTime(before), posixTime(after))
	}
}

// sameSec checks that a time did not change in its whole seconds, the
// resolution the stores keep.
func (c *pc) sameSec(what, p string, before, after unix.Timespec) {
	if c.err == nil && after.Sec != before.Sec {
		c.failf("%s of %s changed: before %s, after %s", what, filepath.Base(p), posixTime(before), posixTime(after))
	}
}

// same checks that a time did not change.
func (c *pc) same(what, p string, before, after unix.Timespec) {
	if c.err == nil && (after.Sec != before.Sec || after.Nsec != before.Nsec) {
		c.failf("%s of %s changed: before %s, after %s", what, filepath.Base(p), posixTime(before), posixTime(after))
	}
}

func posixTime(ts unix.Timespec) string {
	return time.Unix(ts.Sec, ts.Nsec).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// posixAttrTimeout is a little more than the kernel's attribute and entry
// timeouts of the test mounts (1s), so the next stat asks the daemon.
const posixAttrTimeout = 1200 * time.Millisecond

// posixNextSecond sleeps into the next wall-clock second, so that a time
// taken now and one taken after it differ in whole seconds even where
// the store keeps only seconds.
func posixNextSecond() {
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 20*time.Millisecond).Sub(now))
}

// posixName returns a name of n bytes.
func posixName(n int) string { return strings.Repeat("n", n) }

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

// keepBug is keep for an entry a known bug may lose across the remount.
func (c *pc) keepBug(p, bug, on string) {
	c.keeps = append(c.keeps, posixKept{label: c.label(p), path: p, knownBug: bug, bugOn: on})
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
	size           int64
	mtime, atime   int64 // whole seconds: the stored resolution
	link, data     string
}

func posixSnapshot(p string, withAtime bool) (posixAttrs, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return posixAttrs{}, fmt.Errorf("lstat %s: %w", filepath.Base(p), posixErrno(err))
	}
	a := posixAttrs{mode: st.Mode, uid: st.Uid, gid: st.Gid, size: st.Size, mtime: st.Mtim.Sec}
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
