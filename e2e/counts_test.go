//go:build linux

package e2e

// Link counts and times as a local disk shows them, on both data paths.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func statOf(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// nextSecond sleeps past the next whole second: stored times have
// whole-second resolution, so a change must land in a later second.
func nextSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
}

func TestCountsAndTimes(t *testing.T) {
	for _, tg := range targets() {
		for _, dp := range []string{"file_cache", "block_cache"} {
			t.Run(tg.name+"/"+dp, func(t *testing.T) {
				m := mountTarget(t, tg, mountOpts{dataPath: dp})
				dir := m.path("d")
				if err := os.MkdirAll(filepath.Join(dir, "s1"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(filepath.Join(dir, "s2"), 0o755); err != nil {
					t.Fatal(err)
				}
				// A directory's link count is 2 + its subdirectories, or 1
				// (unknown); never 2 with subdirectories below.
				if n := statOf(t, dir).Nlink; n != 1 && n != 4 {
					t.Errorf("directory with 2 subdirectories: nlink %d", n)
				}
				// fstat of an open file after unlink shows nlink 0; a new
				// open file shows 1.
				f, err := os.Create(filepath.Join(dir, "f"))
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString("data")
				var st unix.Stat_t
				if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink != 1 {
					t.Errorf("fstat of a new open file: nlink %d, %v", st.Nlink, err)
				}
				if err := os.Remove(filepath.Join(dir, "f")); err != nil {
					t.Fatal(err)
				}
				if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Nlink != 0 {
					t.Errorf("fstat after unlink: nlink %d, %v", st.Nlink, err)
				}
				f.Close()
				// open(O_TRUNC) of a non-empty file moves mtime and ctime.
				g := filepath.Join(dir, "g")
				if err := os.WriteFile(g, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
				before := statOf(t, g)
				nextSecond()
				h, err := os.OpenFile(g, os.O_WRONLY|os.O_TRUNC, 0)
				if err != nil {
					t.Fatal(err)
				}
				after := statOf(t, g)
				h.Close()
				if after.Mtim.Sec <= before.Mtim.Sec || after.Ctim.Sec <= before.Ctim.Sec {
					t.Errorf("open(O_TRUNC): mtime %d -> %d, ctime %d -> %d", before.Mtim.Sec, after.Mtim.Sec,
						before.Ctim.Sec, after.Ctim.Sec)
				}
				// The parent's times move for every kind of entry made or removed.
				for _, op := range []struct {
					name string
					do   func() error
				}{
					{"mkfifo", func() error { return unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644) }},
					{"unlink of a fifo", func() error { return os.Remove(filepath.Join(dir, "fifo")) }},
					{"symlink", func() error { return os.Symlink("g", filepath.Join(dir, "l")) }},
					{"unlink of a symlink", func() error { return os.Remove(filepath.Join(dir, "l")) }},
					{"rename of a directory", func() error { return os.Rename(filepath.Join(dir, "s2"), filepath.Join(dir, "s3")) }},
				} {
					p0 := statOf(t, dir)
					nextSecond()
					if err := op.do(); err != nil {
						t.Fatalf("%s: %v", op.name, err)
					}
					p1 := statOf(t, dir)
					if p1.Mtim.Sec <= p0.Mtim.Sec || p1.Ctim.Sec <= p0.Ctim.Sec {
						t.Errorf("%s: the parent's mtime %d -> %d, ctime %d -> %d", op.name, p0.Mtim.Sec, p1.Mtim.Sec,
							p0.Ctim.Sec, p1.Ctim.Sec)
					}
				}
				// Sub-second parts: mtime and atime are both kept or both dropped.
				ts := []unix.Timespec{{Sec: 1_700_000_000, Nsec: 123_456_789}, {Sec: 1_700_000_001, Nsec: 987_654_321}}
				if err := unix.UtimesNanoAt(unix.AT_FDCWD, g, ts, 0); err != nil {
					t.Fatal(err)
				}
				m.remount()
				st = statOf(t, g)
				if (st.Atim.Nsec == 0) != (st.Mtim.Nsec == 0) {
					t.Errorf("after a remount: atime %d.%09d, mtime %d.%09d: one kept its fraction", st.Atim.Sec, st.Atim.Nsec,
						st.Mtim.Sec, st.Mtim.Nsec)
				}
			})
		}
	}
}
