//go:build linux

package e2e

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

func openChecks() []posixCheck {
	cs := []posixCheck{
		{name: "O_CREAT|O_EXCL on an existing file is EEXIST", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "keep")
			c.errno("open", posixOpenClose(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL), unix.EEXIST)
			c.data(f, "keep")
		}},
		{name: "O_CREAT|O_EXCL on a directory is EEXIST", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("open", posixOpenClose(d, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL), unix.EEXIST)
		}},
		{name: "O_CREAT|O_EXCL on a dangling symlink is EEXIST", run: func(c *pc) {
			l := c.symlink("nowhere", "l", 0, 0)
			c.errno("open", posixOpenClose(l, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL), unix.EEXIST)
			c.missing(c.p("nowhere"))
		}},
		{name: "O_CREAT on an existing file opens it without truncating", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "keep")
			c.ok("open", posixOpenClose(f, unix.O_WRONLY|unix.O_CREAT))
			c.data(f, "keep")
		}},
		{name: "O_CREAT on a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("open", posixOpenClose(d, unix.O_WRONLY|unix.O_CREAT), unix.EISDIR)
		}},
		{name: "O_CREAT gives the caller's uid and gid", run: func(c *pc) {
			c.ok("chmod dir", unix.Chmod(c.dir, 0o777))
			f := c.p("f")
			c.as(aliceStaffC, func() { c.write(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, "x") })
			c.owner(f, alice, alice)
			c.keep(f)
		}},
		{name: "O_CREAT in a setgid directory takes the directory's group", run: func(c *pc) {
			c.ok("chown dir", unix.Chown(c.dir, 0, staff))
			c.ok("chmod dir", unix.Chmod(c.dir, 0o2777))
			f := c.p("f")
			c.as(aliceC, func() { c.write(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, "x") })
			c.owner(f, alice, staff)
		}},
		{name: "O_CREAT updates the parent's mtime and ctime", run: func(c *pc) {
			posixParentTimes(c, func() { c.write(c.p("f"), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, "") })
		}},
		{name: "O_TRUNC empties a file and keeps mode and owner", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "some data")
			c.ok("open", posixOpenClose(f, unix.O_WRONLY|unix.O_TRUNC))
			c.size(f, 0)
			c.data(f, "")
			c.owner(f, alice, staff)
			c.perm(f, 0o640)
			c.keep(f)
		}},
		{name: "O_TRUNC updates mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "some data")
			m0, c0 := c.mtime(f), c.ctime(f)
			posixNextSecond()
			c.ok("open", posixOpenClose(f, unix.O_WRONLY|unix.O_TRUNC))
			c.later("mtime", f, m0, c.mtime(f))
			c.later("ctime", f, c0, c.ctime(f))
		}},
		{name: "O_TRUNC without write permission is EACCES", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "keep")
			c.as(aliceC, func() { c.errno("open", posixOpenClose(f, unix.O_RDONLY|unix.O_TRUNC), unix.EACCES) })
			c.data(f, "keep")
		}},
		{name: "owner bits apply to the owner even when others have more", run: func(c *pc) {
			f := c.file("f", 0o077, alice, staff, "x")
			c.as(aliceStaffC, func() { c.errno("open as alice", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
		}},
		{name: "group bits apply to members even when others have more", run: func(c *pc) {
			f := c.file("f", 0o607, alice, staff, "x")
			c.as(bobStaffC, func() { c.errno("open as bob", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
			c.as(bobC, func() { c.ok("open as bob outside staff", posixOpenClose(f, unix.O_RDONLY)) })
		}},
		{name: "root reads and writes a 0000 file", run: func(c *pc) {
			f := c.file("f", 0, alice, alice, "x")
			c.ok("open O_RDWR", posixOpenClose(f, unix.O_RDWR))
		}},
		{name: "a 0600 file is private to its owner", run: func(c *pc) {
			f := c.file("f", 0o600, alice, staff, "secret")
			c.as(aliceC, func() { c.ok("open as alice", posixOpenClose(f, unix.O_RDWR)) })
			c.as(bobStaffC, func() { c.errno("open as bob", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
			c.again("still private", func(c *pc) {
				c.as(bobStaffC, func() { c.errno("open as bob", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
				c.as(aliceC, func() { c.data(f, "secret") })
			})
		}},
		{name: "no search permission on the parent is EACCES", run: func(c *pc) {
			d := c.mkdir("d", 0o755, alice, alice)
			f := c.file("d/f", 0o644, alice, alice, "x")
			c.ok("chmod dir", unix.Chmod(d, 0o666))
			c.as(aliceC, func() { c.errno("open", posixOpenClose(f, unix.O_RDONLY), unix.EACCES) })
		}},
		{name: "O_CREAT without write permission on the parent is EACCES", run: func(c *pc) {
			d := c.mkdir("d", 0o555, alice, alice)
			c.as(aliceC, func() {
				c.errno("open", posixOpenClose(d+"/f", unix.O_WRONLY|unix.O_CREAT), unix.EACCES)
			})
			c.missing(d + "/f")
		}},
		{name: "O_WRONLY on a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("open", posixOpenClose(d, unix.O_WRONLY), unix.EISDIR)
		}},
		{name: "O_RDWR on a directory is EISDIR", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.errno("open", posixOpenClose(d, unix.O_RDWR), unix.EISDIR)
		}},
		{name: "O_RDONLY on a directory works", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("open", posixOpenClose(d, unix.O_RDONLY|unix.O_DIRECTORY))
		}},
		{name: "O_DIRECTORY on a file is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("open", posixOpenClose(f, unix.O_RDONLY|unix.O_DIRECTORY), unix.ENOTDIR)
		}},
		{name: "a missing file is ENOENT", run: func(c *pc) {
			c.errno("open", posixOpenClose(c.p("none"), unix.O_RDONLY), unix.ENOENT)
		}},
		{name: "O_CREAT in a missing directory is ENOENT", run: func(c *pc) {
			c.errno("open", posixOpenClose(c.p("none/f"), unix.O_WRONLY|unix.O_CREAT), unix.ENOENT)
		}},
		{name: "a file used as a directory is ENOTDIR", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("open", posixOpenClose(f+"/x", unix.O_RDONLY), unix.ENOTDIR)
			c.errno("open O_CREAT", posixOpenClose(f+"/x", unix.O_WRONLY|unix.O_CREAT), unix.ENOTDIR)
		}},
		{name: "a 256-byte name is ENAMETOOLONG", run: func(c *pc) {
			c.errno("open", posixOpenClose(c.p(posixName(256)), unix.O_WRONLY|unix.O_CREAT), unix.ENAMETOOLONG)
		}},
		{name: "a 255-byte name works", run: func(c *pc) {
			f := c.p(posixName(255))
			c.write(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, "long")
			c.data(f, "long")
			c.keep(f)
		}},
		{name: "O_APPEND writes at the end", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "abc")
			fd := c.open(f, unix.O_WRONLY|unix.O_APPEND, 0)
			if fd >= 0 {
				_, err := unix.Seek(fd, 0, 0)
				c.ok("lseek", err)
				_, err = unix.Write(fd, []byte("def"))
				c.ok("write", err)
			}
			c.close(fd)
			c.data(f, "abcdef")
			c.keep(f)
		}},
		{name: "O_APPEND follows growth through another descriptor", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "a")
			app := c.open(f, unix.O_WRONLY|unix.O_APPEND, 0)
			other := c.open(f, unix.O_WRONLY, 0)
			if app >= 0 && other >= 0 {
				_, err := unix.Pwrite(other, []byte("bcd"), 1)
				c.ok("pwrite", err)
				_, err = unix.Write(app, []byte("e"))
				c.ok("append", err)
			}
			c.close(other)
			c.close(app)
			c.data(f, "abcde")
		}},
		{name: "O_NOFOLLOW on a symlink is ELOOP", run: func(c *pc) {
			c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.errno("open", posixOpenClose(l, unix.O_RDONLY|unix.O_NOFOLLOW), unix.ELOOP)
		}},
		{name: "open follows a symlink", run: func(c *pc) {
			c.file("f", 0o644, 0, 0, "target data")
			l := c.symlink("f", "l", 0, 0)
			c.data(l, "target data")
		}},
		{name: "data written with O_RDWR reads back", run: func(c *pc) {
			f := c.p("f")
			fd := c.open(f, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o644)
			if fd >= 0 {
				_, err := unix.Write(fd, []byte("hello world"))
				c.ok("write", err)
				buf := make([]byte, 5)
				n, err := unix.Pread(fd, buf, 6)
				c.ok("pread", err)
				if c.err == nil && string(buf[:n]) != "world" {
					c.failf("pread got %q", buf[:n])
				}
			}
			c.close(fd)
			c.data(f, "hello world")
		}},
		{name: "a write updates mtime and ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			m0, c0 := c.mtime(f), c.ctime(f)
			posixNextSecond()
			c.write(f, unix.O_WRONLY, "y")
			c.later("mtime", f, m0, c.mtime(f))
			c.later("ctime", f, c0, c.ctime(f))
		}},
		{name: "a write by a non-owner clears setuid and setgid", run: func(c *pc) {
			f := c.file("f", 0o6777, 0, 0, "x")
			c.as(aliceC, func() { c.write(f, unix.O_WRONLY, "y") })
			c.perm(f, 0o777)
			c.keep(f)
		}},
		{name: "a write by the owner clears setuid", run: func(c *pc) {
			f := c.file("f", 0o4755, alice, alice, "x")
			c.as(aliceC, func() { c.write(f, unix.O_WRONLY, "y") })
			c.perm(f, 0o755)
		}},
		{name: "a write by root keeps setuid", run: func(c *pc) {
			f := c.file("f", 0o4755, alice, alice, "x")
			c.write(f, unix.O_WRONLY, "y")
			c.perm(f, 0o4755)
		}},
	}
	for _, um := range []struct{ mode, umask, want uint32 }{
		{0o644, 0o022, 0o644}, {0o666, 0o022, 0o644}, {0o777, 0o027, 0o750},
		{0o666, 0o077, 0o600}, {0o666, 0, 0o666}, {0o400, 0, 0o400},
		{0o4755, 0, 0o4755}, {0o1644, 0o022, 0o1644},
	} {
		cs = append(cs, posixCheck{name: fmt.Sprintf("O_CREAT mode %04o with umask %03o is %04o", um.mode, um.umask, um.want), run: func(c *pc) {
			f := c.p("f")
			c.as(rootC.withUmask(int(um.umask)), func() {
				c.ok("open", posixWrite(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, um.mode, ""))
			})
			c.mode(f, unix.S_IFREG|um.want)
			c.keep(f)
		}})
	}
	cs = append(cs, []posixCheck{
		{name: "access(2) agrees with the mode", run: func(c *pc) {
			f := c.file("f", 0o640, alice, staff, "x")
			c.as(aliceC, func() { c.ok("access R_OK|W_OK as owner", unix.Access(f, unix.R_OK|unix.W_OK)) })
			c.as(bobStaffC, func() {
				c.ok("access R_OK as group member", unix.Access(f, unix.R_OK))
				c.errno("access W_OK as group member", unix.Access(f, unix.W_OK), unix.EACCES)
			})
			c.as(bobC, func() { c.errno("access R_OK as other", unix.Access(f, unix.R_OK), unix.EACCES) })
		}},
		{name: "root needs an execute bit to execute", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.errno("access X_OK", unix.Access(f, unix.X_OK), unix.EACCES)
			c.ok("chmod 0744", unix.Chmod(f, 0o744))
			c.ok("access X_OK", unix.Access(f, unix.X_OK))
		}},
		{name: "a script runs only with its execute bit", run: func(c *pc) {
			f := c.file("run.sh", 0o755, 0, 0, "#!/bin/sh\nexit 7\n")
			err := exec.Command(f).Run()
			var ee *exec.ExitError
			if c.err == nil && (!errors.As(err, &ee) || ee.ExitCode() != 7) {
				c.failf("running a 0755 script: %v, want exit status 7", err)
			}
			c.ok("chmod 0644", unix.Chmod(f, 0o644))
			if c.err == nil {
				c.errno("running a 0644 script", exec.Command(f).Run(), unix.EACCES)
			}
		}},
	}...)
	return append(cs, posixAccessMatrix()...)
}

// posixAccessMatrix checks open(2) access for the owner, a group member and
// another user against files whose mode grants that class r, w, rw or
// nothing, and grants the other two classes what this one lacks, so that
// checking the wrong class shows.
func posixAccessMatrix() []posixCheck {
	type who struct {
		name  string
		cr    posixCred
		shift uint
	}
	whos := []who{{"owner", aliceC, 6}, {"group member", bobStaffC, 3}, {"other", bobC, 0}}
	var cs []posixCheck
	for _, w := range whos {
		for _, perm := range []uint32{4, 2, 6, 0} {
			for _, acc := range []struct {
				name string
				flag int
				need uint32
			}{{"O_RDONLY", unix.O_RDONLY, 4}, {"O_WRONLY", unix.O_WRONLY, 2}, {"O_RDWR", unix.O_RDWR, 6}} {
				mode := perm << w.shift
				for _, other := range []uint{6, 3, 0} {
					if other != w.shift {
						mode |= (^perm & 6) << other
					}
				}
				allowed := acc.need&perm == acc.need
				want := "EACCES"
				if allowed {
					want = "ok"
				}
				cs = append(cs, posixCheck{name: fmt.Sprintf("%s %s %s on %04o is %s", w.name, posixRWX(perm), acc.name, mode, want), run: func(c *pc) {
					f := c.file("f", mode, alice, staff, "x")
					c.as(w.cr, func() {
						err := posixOpenClose(f, acc.flag)
						if allowed {
							c.ok("open "+acc.name, err)
						} else {
							c.errno("open "+acc.name, err, unix.EACCES)
						}
					})
				}})
			}
		}
	}
	return cs
}

func posixRWX(p uint32) string {
	var b strings.Builder
	for i, ch := range "posixRWX" {
		if p&(4>>i) != 0 {
			b.WriteRune(ch)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}
