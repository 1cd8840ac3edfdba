//go:build linux

package e2e

import (
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

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

// posixUtimens sets p's atime and mtime (UTIME_NOW and UTIME_OMIT allowed).
func posixUtimens(p string, atime, mtime unix.Timespec, flags int) error {
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{atime, mtime}, flags)
}

// wholeSecond checks that a time set to want shows as want truncated to
// the second.
func (c *pc) wholeSecond(what, p string, want, got unix.Timespec) {
	if c.err == nil && (got.Sec != want.Sec || got.Nsec != 0) {
		c.failf("%s of %s is %s, want %s truncated to the second", what, p, posixTime(got), posixTime(want))
	}
}

// near checks that ts lies within a few seconds of now.
func (c *pc) near(what, p string, ts unix.Timespec) {
	d := time.Since(time.Unix(ts.Sec, ts.Nsec))
	if c.err == nil && (d < -5*time.Second || d > 5*time.Second) {
		c.failf("%s of %s is %s, not now", what, p, posixTime(ts))
	}
}

func utimensChecks() []posixCheck {
	t1 := unix.Timespec{Sec: 1_000_000_000, Nsec: 123_456_789}
	t2 := unix.Timespec{Sec: 1_100_000_000, Nsec: 987_654_321}
	tsNow := unix.Timespec{Nsec: unix.UTIME_NOW}
	tsOmit := unix.Timespec{Nsec: unix.UTIME_OMIT}
	return []posixCheck{
		{name: "explicit atime and mtime are shown", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t2, 0))
			c.sameSec("atime", f, t1, c.atime(f))
			c.sameSec("mtime", f, t2, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "times shown do not change by themselves", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t2, 0))
			st := c.stat(f)
			time.Sleep(posixAttrTimeout)
			c.same("atime", f, st.Atim, c.atime(f))
			c.same("mtime", f, st.Mtim, c.mtime(f))
			c.same("ctime", f, st.Ctim, c.ctime(f))
		}},
		{name: "UTIME_NOW sets both to now", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.ok("utimensat now", posixUtimens(f, tsNow, tsNow, 0))
			c.near("atime", "f", c.atime(f))
			c.near("mtime", "f", c.mtime(f))
		}},
		{name: "UTIME_OMIT leaves atime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.ok("utimensat omit", posixUtimens(f, tsOmit, t2, 0))
			c.sameSec("atime", f, t1, c.atime(f))
			c.sameSec("mtime", f, t2, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "UTIME_OMIT leaves mtime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.ok("utimensat omit", posixUtimens(f, t2, tsOmit, 0))
			c.sameSec("atime", f, t2, c.atime(f))
			c.sameSec("mtime", f, t1, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "UTIME_NOW for one, UTIME_OMIT for the other", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.ok("utimensat", posixUtimens(f, tsOmit, tsNow, 0))
			c.sameSec("atime", f, t1, c.atime(f))
			c.near("mtime", "f", c.mtime(f))
		}},
		{name: "both UTIME_OMIT change nothing", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t2, 0))
			st := c.stat(f)
			c.ok("utimensat omit", posixUtimens(f, tsOmit, tsOmit, 0))
			c.same("atime", f, st.Atim, c.atime(f))
			c.same("mtime", f, st.Mtim, c.mtime(f))
			c.same("ctime", f, st.Ctim, c.ctime(f))
		}},
		{name: "utimensat updates ctime", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c0 := c.ctime(f)
			posixNextSecond()
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.later("ctime", f, c0, c.ctime(f))
		}},
		{name: "a time before 1970", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			old := unix.Timespec{Sec: -300_000_000}
			c.ok("utimensat", posixUtimens(f, old, old, 0))
			c.same("mtime", f, old, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "a time after 2038", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			late := unix.Timespec{Sec: 4_102_444_800} // 2100-01-01
			c.ok("utimensat", posixUtimens(f, late, late, 0))
			c.same("mtime", f, late, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "the owner sets explicit times", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.as(aliceC, func() { c.ok("utimensat", posixUtimens(f, t1, t2, 0)) })
			c.sameSec("mtime", f, t2, c.mtime(f))
		}},
		{name: "the owner of a 0444 file sets explicit times", run: func(c *pc) {
			f := c.file("f", 0o444, alice, alice, "x")
			c.as(aliceC, func() { c.ok("utimensat", posixUtimens(f, t1, t2, 0)) })
			c.sameSec("mtime", f, t2, c.mtime(f))
		}},
		{name: "a non-owner with write permission cannot set explicit times", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.as(bobC, func() { c.errno("utimensat as bob", posixUtimens(f, t2, t2, 0), unix.EPERM) })
			c.sameSec("mtime", f, t1, c.mtime(f))
		}},
		{name: "a non-owner with write permission may set UTIME_NOW", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.as(bobC, func() { c.ok("utimensat now as bob", posixUtimens(f, tsNow, tsNow, 0)) })
			c.near("mtime", "f", c.mtime(f))
		}},
		{name: "a non-owner with write permission may use a NULL times", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.as(bobC, func() { c.ok("utimes NULL as bob", unix.Utimes(f, nil)) })
			c.near("mtime", "f", c.mtime(f))
		}},
		{name: "a non-owner without write permission cannot set UTIME_NOW", run: func(c *pc) {
			f := c.file("f", 0o644, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.as(bobC, func() { c.errno("utimensat now as bob", posixUtimens(f, tsNow, tsNow, 0), unix.EACCES) })
			c.sameSec("mtime", f, t1, c.mtime(f))
		}},
		{name: "a non-owner cannot mix UTIME_NOW with an explicit time", run: func(c *pc) {
			f := c.file("f", 0o666, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			c.as(bobC, func() { c.errno("utimensat as bob", posixUtimens(f, tsNow, t2, 0), unix.EPERM) })
			c.sameSec("mtime", f, t1, c.mtime(f))
		}},
		{name: "root sets explicit times on anyone's file", run: func(c *pc) {
			f := c.file("f", 0o600, alice, alice, "x")
			c.ok("utimensat", posixUtimens(f, t1, t2, 0))
			c.sameSec("mtime", f, t2, c.mtime(f))
		}},
		{name: "times of a directory", run: func(c *pc) {
			d := c.mkdir("d", 0o755, 0, 0)
			c.ok("utimensat", posixUtimens(d, t1, t2, 0))
			c.sameSec("atime", d, t1, c.atime(d))
			c.sameSec("mtime", d, t2, c.mtime(d))
			c.keepAtime(d)
		}},
		{name: "times of a symlink itself", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t1, 0))
			l := c.symlink("f", "l", 0, 0)
			c.ok("utimensat nofollow", posixUtimens(l, t2, t2, unix.AT_SYMLINK_NOFOLLOW))
			c.sameSec("mtime", l, t2, c.mtime(l))
			c.sameSec("target mtime", f, t1, c.mtime(f))
			c.keepAtime(l)
		}},
		{name: "times through a symlink change the target", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			l := c.symlink("f", "l", 0, 0)
			c.ok("utimensat", posixUtimens(l, t1, t2, 0))
			c.sameSec("mtime", f, t2, c.mtime(f))
		}},
		{name: "futimens on an open descriptor", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			fd := c.open(f, unix.O_RDONLY, 0)
			if fd >= 0 {
				c.ok("futimens", unix.UtimesNanoAt(fd, "", []unix.Timespec{t1, t2}, unix.AT_EMPTY_PATH))
			}
			c.close(fd)
			c.sameSec("mtime", f, t2, c.mtime(f))
		}},
		{name: "times set while the file is being written are posixKept", run: func(c *pc) {
			f := c.p("f")
			fd := c.open(f, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
			if fd >= 0 {
				_, err := unix.Write(fd, []byte("data"))
				c.ok("write", err)
				c.ok("futimens", unix.UtimesNanoAt(fd, "", []unix.Timespec{t1, t2}, unix.AT_EMPTY_PATH))
			}
			c.close(fd)
			c.sameSec("mtime", f, t2, c.mtime(f))
			c.keepAtime(f)
		}},
		{name: "a missing name is ENOENT", run: func(c *pc) {
			c.errno("utimensat", posixUtimens(c.p("none"), t1, t1, 0), unix.ENOENT)
		}},
		{name: "times with nanoseconds are taken", run: func(c *pc) {
			f := c.file("f", 0o644, 0, 0, "x")
			c.ok("utimensat", posixUtimens(f, t1, t2, 0))
			c.sameSec("mtime", f, t2, c.mtime(f))
			// Before the remount the kernel may still show the nanoseconds
			// it was given; the store keeps whole seconds.
			c.againDocumented("nanoseconds are dropped", "docs/semantics.md: times are kept in whole seconds", func(c *pc) {
				c.wholeSecond("mtime", f, t2, c.mtime(f))
			})
		}},
	}
}
