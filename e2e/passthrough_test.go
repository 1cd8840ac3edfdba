//go:build linux

package e2e

// FUSE passthrough of cached files (file_cache.passthrough).

import (
	"os"
	"testing"
	"time"
)

// On a read-only mount, a file whose copy in the cache is complete is read
// by the kernel without the daemon, by every descriptor open on it. A
// read-write mount (where a writer could open beside such a reader), or
// passthrough: false, reads through the daemon.
func TestPassthrough(t *testing.T) {
	skipOnFrontend(t, "cgofuse", "FUSE passthrough is a go-fuse feature")
	if os.Geteuid() != 0 {
		t.Skip("FUSE passthrough needs root")
	}
	const key = "pt/data.bin"
	data := pattern(3<<20 + 123)
	// warm reads the file once and closes it, so its copy stays in the
	// cache, and returns a descriptor of it opened again read-only.
	warm := func(t *testing.T, m *mnt) *os.File {
		t.Helper()
		if got := mustRead(t, m.path(key)); got != data {
			t.Fatalf("first read: %d bytes, want %d", len(got), len(data))
		}
		f, err := os.Open(m.path(key))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	readAll := func(t *testing.T, f *os.File) string {
		t.Helper()
		buf := make([]byte, len(data)+10)
		n, err := f.ReadAt(buf, 0)
		if n != len(data) {
			t.Fatalf("read %d bytes: %v", n, err)
		}
		return string(buf[:n])
	}
	tg := targets()[0]

	t.Run("read-only mount", func(t *testing.T) {
		b, section := tg.setup(t)
		storePut(t, b, key, data)
		m := mountWith(t, b, section, mountOpts{flags: []string{"--read-only"}})
		f := warm(t, m)
		before := healthJSON(t, m.Dir)
		if before.Passthrough != 1 {
			t.Fatalf("%d handles passed through, want 1", before.Passthrough)
		}
		if got := readAll(t, f); got != data {
			t.Fatal("a passthrough read returned other bytes")
		}
		after := healthJSON(t, m.Dir)
		if n := after.Fuse["read"].Count - before.Fuse["read"].Count; n != 0 {
			t.Errorf("the daemon served %d reads of a passed-through file", n)
		}
		// A second reader joins the first one's backing file.
		f2, err := os.Open(m.path(key))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, f2); got != data {
			t.Error("a second reader read other bytes")
		}
		if n := healthJSON(t, m.Dir).Passthrough; n != 2 {
			t.Errorf("%d handles passed through, want 2", n)
		}
		f2.Close()
		f.Close()
		waitFor(t, 10*time.Second, "the handle's release", func() bool { return healthJSON(t, m.Dir).Passthrough == 0 })
	})

	for _, c := range []struct {
		name string
		o    mountOpts
	}{
		{"read-write mount", mountOpts{}},
		{"read-write mount without the writeback cache", mountOpts{flags: []string{"--disable-writeback-cache=true"}}},
		{"turned off", mountOpts{flags: []string{"--read-only"}, fileCache: "  passthrough: false\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, key, data)
			m := mountWith(t, b, section, c.o)
			f := warm(t, m)
			if n := healthJSON(t, m.Dir).Passthrough; n != 0 {
				t.Errorf("%d handles passed through, want 0", n)
			}
			if got := readAll(t, f); got != data {
				t.Error("read other bytes")
			}
		})
	}
}
