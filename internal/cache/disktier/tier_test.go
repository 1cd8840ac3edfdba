package disktier

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func open(t *testing.T, dir string, max int64, cleanup bool) *Tier {
	t.Helper()
	tr, err := Open(Options{Dir: dir, MaxBytes: max, BlockSize: 1024, Cleanup: cleanup, Owner: "/mnt/t"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func fill(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// A block reads back whole or in part, only for its own version, and
// outlives the tier unless Cleanup.
func TestBlocksReadBackForTheirVersionOnly(t *testing.T) {
	dir := t.TempDir()
	tr := open(t, dir, 1<<20, false)
	tr.Write("k", "e1", 0, fill('a', 1024))
	tr.Write("k", "e1", 1, fill('b', 100)) // the last, short block
	got := make([]byte, 1024)
	if !tr.Read("k", "e1", 0, 1024, 0, got) || !bytes.Equal(got, fill('a', 1024)) {
		t.Fatal("whole block")
	}
	part := make([]byte, 10)
	if !tr.Read("k", "e1", 1, 100, 90, part) || !bytes.Equal(part, fill('b', 10)) {
		t.Fatal("part of the last block")
	}
	if tr.Read("k", "e2", 0, 1024, 0, got) || tr.Read("k", "e1", 1, 1024, 0, got) {
		t.Fatal("a block served for another version or length")
	}
	tr.Close()
	tr = open(t, dir, 1<<20, false)
	if !tr.Read("k", "e1", 0, 1024, 0, got) {
		t.Fatal("blocks did not outlive the tier")
	}
	tr.Close()
	tr = open(t, dir, 1<<20, true)
	defer tr.Close()
	if tr.Has("k", "e1", 0) || tr.Stats().Blocks != 0 {
		t.Fatal("cleanup kept blocks")
	}
}

// A block whose file was changed is detected, removed and never returned.
func TestCorruptBlockIsNeverReturned(t *testing.T) {
	dir := t.TempDir()
	tr := open(t, dir, 1<<20, false)
	defer tr.Close()
	tr.Write("k", "e", 3, fill('z', 1024))
	p := tr.path(tr.name("k", "e", 3))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[500] ^= 1
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 1024)
	if tr.Read("k", "e", 3, 1024, 0, got) {
		t.Fatal("a corrupted block was returned")
	}
	if s := tr.Stats(); s.Corrupt != 1 || s.Blocks != 0 {
		t.Errorf("after a corrupt read: %+v", s)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the corrupted block file is still there: %v", err)
	}
}

// The least recently used blocks go to stay within MaxBytes; unused
// blocks go after the timeout.
func TestBoundAndTimeout(t *testing.T) {
	tr, err := Open(Options{Dir: t.TempDir(), MaxBytes: 3 * (1024 + crcLen), BlockSize: 1024, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	buf := make([]byte, 1024)
	for i := range int64(3) {
		tr.Write("k", "e", i, fill('x', 1024))
	}
	tr.Read("k", "e", 0, 1024, 0, buf) // 0 is now the most recent
	tr.Write("k", "e", 3, fill('x', 1024))
	if !tr.Has("k", "e", 0) || tr.Has("k", "e", 1) || !tr.Has("k", "e", 3) {
		t.Errorf("LRU kept the wrong blocks: %+v", tr.Stats())
	}
	tr.remove(tr.expired(time.Now().Add(2 * time.Hour)))
	if s := tr.Stats(); s.Blocks != 0 || s.Bytes != 0 {
		t.Errorf("after the timeout: %+v", s)
	}
	left, _ := filepath.Glob(filepath.Join(tr.o.Dir, "*", "*"))
	if len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}
