package vfs

import (
	"context"
	"testing"
	"time"
)

// oldDirMeta is the metadata of a directory marker last changed in 2001.
var oldDirMeta = map[string]string{"mode": "16877", "mtime": "1000000000", "ctime": "1000000000"}

var oldTime = time.Unix(1000000000, 0)

// checkFresh fails unless directory p's mtime and ctime, by lookup and in
// its parent's listing, are no older than since.
func checkFresh(t *testing.T, v *FS, p string, since time.Time) {
	t.Helper()
	a, err := v.Lookup(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Mtime.Before(since) || a.Ctime.Before(since) {
		t.Fatalf("%s: mtime %v ctime %v, want both at or after %v", p, a.Mtime, a.Ctime, since)
	}
	ents, err := v.ReadDir(context.Background(), parent(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name == base(p) && (e.Attr.Mtime.Before(since) || e.Attr.Ctime.Before(since)) {
			t.Fatalf("%s in its parent's listing: mtime %v ctime %v, want both at or after %v", p, e.Attr.Mtime, e.Attr.Ctime, since)
		}
	}
}

// TestParentTimes checks that creating, removing and renaming entries
// moves the directories' mtime and ctime on, in both parents of a rename.
func TestParentTimes(t *testing.T) {
	ops := map[string]func(v *FS, d string) error{
		"create": func(v *FS, d string) error {
			h, _, err := v.Create(context.Background(), d+"/f", OpenFlags{Write: true}, 0o644, 0, 0)
			if err == nil {
				err = h.Release(context.Background())
			}
			return err
		},
		"mkdir": func(v *FS, d string) error {
			_, err := v.Mkdir(context.Background(), d+"/sub", 0o755, 0, 0)
			return err
		},
		"symlink": func(v *FS, d string) error {
			_, err := v.Symlink(context.Background(), "target", d+"/l", 0, 0)
			return err
		},
		"unlink": func(v *FS, d string) error { return v.Unlink(context.Background(), d+"/x") },
		"rmdir":  func(v *FS, d string) error { return v.Rmdir(context.Background(), d+"/empty") },
		"rename": func(v *FS, d string) error {
			return v.Rename(context.Background(), d+"/x", d+"/y", RenameFlags{})
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			s := newMem()
			put(t, s, "d/", "", oldDirMeta)
			put(t, s, "d/x", "x", nil)
			put(t, s, "d/empty/", "", oldDirMeta)
			v := newTestFS(t, s)
			since := fsNow()
			if err := op(v, "d"); err != nil {
				t.Fatal(err)
			}
			checkFresh(t, v, "d", since)
		})
	}
	t.Run("rename across directories", func(t *testing.T) {
		s := newMem()
		put(t, s, "a/", "", oldDirMeta)
		put(t, s, "b/", "", oldDirMeta)
		put(t, s, "a/x", "x", nil)
		put(t, s, "a/sub/y", "y", nil)
		v := newTestFS(t, s)
		since := fsNow()
		if err := v.Rename(context.Background(), "a/x", "b/x", RenameFlags{}); err != nil {
			t.Fatal(err)
		}
		checkFresh(t, v, "a", since)
		checkFresh(t, v, "b", since)
		if err := v.Rename(context.Background(), "a/sub", "b/sub", RenameFlags{}); err != nil {
			t.Fatal(err)
		}
		checkFresh(t, v, "a", since)
		checkFresh(t, v, "b", since)
	})
	t.Run("root", func(t *testing.T) {
		v := newTestFS(t, newMem())
		v.mountTime = oldTime // as if mounted long ago
		since := fsNow()
		if _, err := v.Mkdir(context.Background(), "d", 0o755, 0, 0); err != nil {
			t.Fatal(err)
		}
		a, err := v.Lookup(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if a.Mtime.Before(since) || a.Ctime.Before(since) {
			t.Fatalf("root: mtime %v ctime %v, want at or after %v", a.Mtime, a.Ctime, since)
		}
	})
}

// TestParentTimesInMemory checks what survives: the times are kept by the
// mount only, an explicit utimens wins over them, and a chmod stores them
// with the directory's other attributes.
func TestParentTimesInMemory(t *testing.T) {
	ctx := context.Background()
	s := newMem()
	for _, d := range []string{"plain", "touched", "chmodded"} {
		put(t, s, d+"/", "", oldDirMeta)
	}
	v := newTestFS(t, s)
	since := fsNow()
	for _, d := range []string{"plain", "touched", "chmodded"} {
		writeFile(t, v, d+"/f", "x")
	}
	explicit := time.Unix(1500000000, 0)
	if _, err := v.Setattr(ctx, "touched", nil, SetAttr{Mtime: &explicit}); err != nil {
		t.Fatal(err)
	}
	if a, _ := v.Lookup(ctx, "touched"); !a.Mtime.Equal(explicit) {
		t.Fatalf("mtime after utimens %v, want %v", a.Mtime, explicit)
	}
	mode := uint32(0o700)
	if _, err := v.Setattr(ctx, "chmodded", nil, SetAttr{Mode: &mode}); err != nil {
		t.Fatal(err)
	}
	checkFresh(t, v, "chmodded", since)

	v2 := newTestFS(t, s)
	want := map[string]time.Time{"plain": oldTime, "touched": explicit}
	for d, mt := range want {
		if a, _ := v2.Lookup(ctx, d); !a.Mtime.Equal(mt) {
			t.Fatalf("%s after remount: mtime %v, want the stored %v", d, a.Mtime, mt)
		}
	}
	checkFresh(t, v2, "chmodded", since)
}
