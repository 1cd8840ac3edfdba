//go:build linux

package e2e

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// readlink returns the target of symlink p.
func (c *pc) readlink(p string) string {
	if c.err != nil {
		return ""
	}
	buf := make([]byte, 4096)
	n, err := unix.Readlink(p, buf)
	if err != nil {
		c.ok("readlink", err)
		return ""
	}
	return string(buf[:n])
}

func (c *pc) target(p, want string) {
	if got := c.readlink(p); c.err == nil && got != want {
		c.failf("readlink gives %q, want %q", posixClip(got), posixClip(want))
	}
}

func symlinkChecks() []posixCheck {
	var cs []posixCheck
	for _, n := range []int{1, 64, 255, 256, 1023} {
		cs = append(cs, posixCheck{name: fmt.Sprintf("a %d-byte target round-trips", n), run: func(c *pc) {
			target := strings.Repeat("t/", n/2) + strings.Repeat("x", n%2)
			l := c.p("l")
			c.ok("symlink", unix.Symlink(target, l))
			c.target(l, target)
			c.mode(l, unix.S_IFLNK|0o777)
			c.size(l, int64(n))
			c.keep(l)
		}})
	}
	return append(cs, []posixCheck{
		{name: "a dangling symlink: lstat works, stat is ENOENT", run: func(c *pc) {
			l := c.p("l")
			c.ok("symlink", unix.Symlink("nowhere", l))
			c.mode(l, unix.S_IFLNK|0o777)
			var st unix.Stat_t
			c.errno("stat", unix.Stat(l, &st), unix.ENOENT)
			c.keep(l)
		}},
		{name: "stat through a symlink shows the target", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "abc")
			l := c.symlink("f", "l", 0, 0)
			var st unix.Stat_t
			c.ok("stat", unix.Stat(l, &st))
			if c.err == nil && (st.Mode != unix.S_IFREG|0o640 || st.Uid != alice || st.Size != 3) {
				c.failf("stat through link: mode %#o uid %d size %d", st.Mode, st.Uid, st.Size)
			}
			c.data(f, "abc")
		}},
		{name: "a symlink to a directory is traversed", run: func(c *pc) {
			c.mkdir("d", 0o755, 0, 0)
			c.file("d/f", 0o644, 0, 0, "inside")
			l := c.symlink("d", "l", 0, 0)
			c.data(l+"/f", "inside")
		}},
		{name: "a relative target resolves from the link's directory", run: func(c *pc) {
			c.file("f", 0o644, 0, 0, "up")
			c.mkdir("d", 0o755, 0, 0)
			l := c.symlink("../f", "d/l", 0, 0)
			c.data(l, "up")
		}},
		{name: "an absolute target is posixKept verbatim", run: func(c *pc) {
			l := c.p("l")
			target := "/some/where/../else//x"
			c.ok("symlink", unix.Symlink(target, l))
			c.target(l, target)
			c.keep(l)
		}},
		{name: "a target with spaces and UTF-8", run: func(c *pc) {
			l := c.p("l")
			target := "dir with space/fichier é 文件"
			c.ok("symlink", unix.Symlink(target, l))
			c.target(l, target)
			c.keep(l)
		}},
		{name: "a symlink belongs to the caller", run: func(c *pc) {
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			l := c.p("l")
			c.as(aliceStaffC, func() { c.ok("symlink", unix.Symlink("x", l)) })
			c.owner(l, alice, alice)
			c.keep(l)
		}},
		{name: "umask does not apply to symlinks", run: func(c *pc) {
			l := c.p("l")
			c.as(rootC.withUmask(0o077), func() { c.ok("symlink", unix.Symlink("x", l)) })
			c.mode(l, unix.S_IFLNK|0o777)
		}},
		{name: "an existing file is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("symlink", unix.Symlink("t", f), unix.EEXIST)
			c.data(f, "x")
		}},
		{name: "an existing directory is EEXIST", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("symlink", unix.Symlink("t", d), unix.EEXIST)
		}},
		{name: "an existing symlink is EEXIST", run: func(c *pc) {
			l := c.symlink("one", "l", 0, 0)
			c.errno("symlink", unix.Symlink("two", l), unix.EEXIST)
			c.target(l, "one")
		}},
		{name: "a missing parent is ENOENT", run: func(c *pc) {
			c.errno("symlink", unix.Symlink("t", c.p("none/l")), unix.ENOENT)
		}},
		{name: "no write permission on the parent is EACCES", run: func(c *pc) {
			p := c.mkdir("p", 0o555, alice, alice)
			c.as(aliceC, func() { c.errno("symlink", unix.Symlink("t", p+"/l"), unix.EACCES) })
		}},
		{name: "a 256-byte name is ENAMETOOLONG", run: func(c *pc) {
			c.errno("symlink", unix.Symlink("t", c.p(posixName(256))), unix.ENAMETOOLONG)
		}},
		{name: "a 255-byte name works, or is ENAMETOOLONG where the store refuses its key", run: func(c *pc) {
			l := c.p(posixName(255))
			if posixNameRefused(c, "symlink", unix.Symlink("t", l), l) {
				return
			}
			c.keep(l)
		}},
		{name: "readlink of a file is EINVAL", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			_, err := unix.Readlink(f, make([]byte, 64))
			c.errno("readlink", err, unix.EINVAL)
		}},
		{name: "readlink of a directory is EINVAL", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			_, err := unix.Readlink(d, make([]byte, 64))
			c.errno("readlink", err, unix.EINVAL)
		}},
		{name: "readlink of a missing name is ENOENT", run: func(c *pc) {
			_, err := unix.Readlink(c.p("none"), make([]byte, 64))
			c.errno("readlink", err, unix.ENOENT)
		}},
		{name: "a symlink loop is ELOOP", run: func(c *pc) {
			a := c.symlink("b", "a", 0, 0)
			c.symlink("a", "b", 0, 0)
			var st unix.Stat_t
			c.errno("stat", unix.Stat(a, &st), unix.ELOOP)
		}},
		{name: "symlink updates the parent's mtime and ctime", run: func(c *pc) {
			posixParentTimes(c, func() { c.ok("symlink", unix.Symlink("t", c.p("l"))) })
		}},
	}...)
}

const posixDocLink = "docs/semantics.md: hard links are refused with ENOTSUP"

func linkChecks() []posixCheck {
	return []posixCheck{
		{name: "link of a file", unsupported: posixDocLink, run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("link", unix.Link(f, c.p("g")), unix.ENOTSUP)
			c.missing(c.p("g"))
			c.data(f, "x")
		}},
		{name: "link of a symlink itself", unsupported: posixDocLink, run: func(c *pc) {
			l := c.symlink("nowhere", "l", 0, 0)
			c.errno("linkat", unix.Linkat(unix.AT_FDCWD, l, unix.AT_FDCWD, c.p("m"), 0), unix.ENOTSUP)
		}},
		{name: "link following a symlink", unsupported: posixDocLink, run: func(c *pc) {
			c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.errno("linkat", unix.Linkat(unix.AT_FDCWD, l, unix.AT_FDCWD, c.p("m"), unix.AT_SYMLINK_FOLLOW), unix.ENOTSUP)
		}},
		{name: "link by an unprivileged owner", unsupported: posixDocLink, run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			c.as(aliceC, func() { c.errno("link", unix.Link(f, c.p("g")), unix.ENOTSUP) })
		}},
		{name: "link onto an existing name is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			g := c.file("g", 0o644, 0, 0, "y")
			c.errno("link", unix.Link(f, g), unix.EEXIST)
			c.data(g, "y")
		}},
		{name: "link of a directory is EPERM", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("link", unix.Link(d, c.p("e")), unix.EPERM)
		}},
		{name: "link of a missing name is ENOENT", run: func(c *pc) {
			c.errno("link", unix.Link(c.p("none"), c.p("g")), unix.ENOENT)
		}},
	}
}

// mknodChecks: fifos, sockets and device nodes are kept as zero-length
// objects with their type in the stored mode (docs/semantics.md), and
// behave as on a local disk: the kernel serves their opens.
func mknodChecks() []posixCheck {
	nodes := []struct {
		name string
		mode uint32
		dev  int
	}{
		{"mkfifo", unix.S_IFIFO | 0o644, 0},
		{"mknod of a character device", unix.S_IFCHR | 0o600, int(unix.Mkdev(1, 3))},
		{"mknod of a block device", unix.S_IFBLK | 0o600, int(unix.Mkdev(7, 0))},
		{"mknod of a socket", unix.S_IFSOCK | 0o644, 0},
		{"mknod of a regular file", unix.S_IFREG | 0o644, 0},
	}
	var cs []posixCheck
	for _, nd := range nodes {
		cs = append(cs, posixCheck{name: nd.name + " keeps type, mode and device number", run: func(c *pc) {
			p := c.p("n")
			c.ok("mknod", unix.Mknod(p, nd.mode, nd.dev))
			c.mode(p, nd.mode&^0o022)
			c.size(p, 0)
			if st := c.stat(p); c.err == nil && st.Rdev != uint64(nd.dev) {
				c.failf("st_rdev %#x, want %#x", st.Rdev, nd.dev)
			}
			c.keep(p)
		}})
	}
	return append(cs, []posixCheck{
		{name: "binding a unix socket makes a socket file", run: func(c *pc) {
			p := c.p("sock")
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			c.ok("socket", err)
			if c.err == nil {
				c.ok("bind", unix.Bind(fd, &unix.SockaddrUnix{Name: p}))
				unix.Close(fd)
			}
			if st := c.stat(p); c.err == nil && st.Mode&unix.S_IFMT != unix.S_IFSOCK {
				c.failf("st_mode %#o, want a socket", st.Mode)
			}
			c.keep(p)
		}},
		{name: "a fifo carries data between its ends", run: func(c *pc) {
			p := c.p("fifo")
			c.ok("mkfifo", unix.Mkfifo(p, 0o600))
			fd := c.open(p, unix.O_RDWR|unix.O_NONBLOCK, 0)
			if c.err == nil {
				_, err := unix.Write(fd, []byte("through"))
				c.ok("write", err)
				buf := make([]byte, 16)
				n, err := unix.Read(fd, buf)
				c.ok("read", err)
				if c.err == nil && string(buf[:n]) != "through" {
					c.failf("read %q", buf[:n])
				}
				c.close(fd)
			}
			c.size(p, 0)
		}},
		{name: "chmod, chown and rename of a fifo keep its type", run: func(c *pc) {
			p := c.p("fifo")
			c.ok("mkfifo", unix.Mkfifo(p, 0o644))
			c.ok("chmod", unix.Chmod(p, 0o600))
			c.ok("chown", unix.Chown(p, alice, alice))
			q := c.p("moved")
			c.ok("rename", unix.Rename(p, q))
			c.missing(p)
			c.mode(q, unix.S_IFIFO|0o600)
			c.owner(q, alice, alice)
			c.keep(q)
		}},
		{name: "unlink of a device node", run: func(c *pc) {
			p := c.p("dev")
			c.ok("mknod", unix.Mknod(p, unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))))
			c.ok("unlink", unix.Unlink(p))
			c.missing(p)
			c.gone(p)
		}},
		{name: "mkfifo by an unprivileged user", run: func(c *pc) {
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			c.as(aliceC, func() { c.ok("mkfifo", unix.Mkfifo(c.p("n"), 0o666)) })
			c.owner(c.p("n"), alice, alice)
			c.mode(c.p("n"), unix.S_IFIFO|0o644)
		}},
		{name: "mkfifo onto an existing name is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("mkfifo", unix.Mkfifo(f, 0o644), unix.EEXIST)
			c.data(f, "x")
		}},
		{name: "mknod of a device by a user is EPERM", run: func(c *pc) {
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			c.as(aliceC, func() {
				c.errno("mknod", unix.Mknod(c.p("n"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))), unix.EPERM)
			})
		}},
	}...)
}

func statfsChecks() []posixCheck {
	const fuseSuperMagic = 0x65735546
	return []posixCheck{
		{name: "f_namelen is 255", run: func(c *pc) {
			var s unix.Statfs_t
			c.ok("statfs", unix.Statfs(c.dir, &s))
			if c.err == nil && s.Namelen != 255 {
				c.failf("f_namelen %d", s.Namelen)
			}
		}},
		{name: "sizes are positive and free space fits in the total", run: func(c *pc) {
			var s unix.Statfs_t
			c.ok("statfs", unix.Statfs(c.dir, &s))
			if c.err == nil && (s.Bsize <= 0 || s.Blocks == 0 || s.Bfree > s.Blocks || s.Bavail > s.Bfree ||
				s.Bavail == 0 || s.Files == 0 || s.Ffree > s.Files) {
				c.failf("statfs %+v", s)
			}
		}},
		{name: "f_type is FUSE", mountOnly: true, run: func(c *pc) {
			var s unix.Statfs_t
			c.ok("statfs", unix.Statfs(c.dir, &s))
			if c.err == nil && s.Type != fuseSuperMagic {
				c.failf("f_type %#x", s.Type)
			}
		}},
		{name: "an unprivileged user gets the same answer", run: func(c *pc) {
			var root, user unix.Statfs_t
			c.ok("statfs", unix.Statfs(c.dir, &root))
			c.as(aliceC, func() { c.ok("statfs as alice", unix.Statfs(c.dir, &user)) })
			if c.err == nil && (user.Namelen != root.Namelen || user.Bsize != root.Bsize || user.Blocks != root.Blocks) {
				c.failf("root %+v, alice %+v", root, user)
			}
		}},
		{name: "fstatfs on an open file agrees", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			var a, b unix.Statfs_t
			c.ok("statfs", unix.Statfs(c.dir, &a))
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				c.ok("fstatfs", unix.Fstatfs(fd, &b))
			}
			c.close(fd)
			if c.err == nil && (a.Namelen != b.Namelen || a.Bsize != b.Bsize || a.Type != b.Type) {
				c.failf("statfs %+v, fstatfs %+v", a, b)
			}
		}},
		{name: "statfs of a missing path is ENOENT", run: func(c *pc) {
			var s unix.Statfs_t
			c.errno("statfs", unix.Statfs(c.p("none"), &s), unix.ENOENT)
		}},
	}
}
