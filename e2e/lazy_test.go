//go:build linux

package e2e

// lazy-write: close returns before the upload (file cache).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// With lazy-write, files close while the store cannot be reached (the
// store has none of them, and the mount reads them back); once it is back,
// the mount lists them all, and unmounting waits until every one is
// stored. fsync still waits for
// the store. A mount that sets lazy-write on the streaming path says it has
// no effect there.
func TestLazyWrite(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			section, p := proxied(t, section, 10*time.Minute)
			// Few retries: the uploads that fail while the store is down
			// are tried again at unmount.
			section += "  max-retries: 1\n"
			if tg.name == "azure" {
				section += "  retry-backoff-sec: 1\n  max-retry-delay-sec: 1\n"
			}
			m := mountWith(t, b, section, mountOpts{extraYAML: "lazy-write: true\n"})
			ctx := context.Background()

			// fsync waits for the store, lazy or not.
			f, err := os.Create(m.path("synced"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("synced"); err != nil {
				t.Fatal(err)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if got, err := storeGet(t, b, "synced"); err != nil || got != "synced" {
				t.Fatalf("after fsync the store holds %q, %v", got, err)
			}
			f.Close()

			// Created and written with the store up; closed with it down.
			files := map[string]content{}
			var open []*os.File
			for i := range 20 {
				c := content{name: fmt.Sprintf("f%02d", i), size: int64(i)*50_000 + 7}
				if i == 19 {
					c.size = 20 << 20 // a multipart upload on S3
				}
				f, err := os.Create(m.path(c.name))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write(c.bytes()); err != nil {
					t.Fatal(err)
				}
				files[c.name] = c
				open = append(open, f)
			}
			p.refuse()
			start := time.Now()
			for _, f := range open {
				if err := f.Close(); err != nil {
					t.Fatalf("close of %s with the store down: %v", f.Name(), err)
				}
			}
			t.Logf("20 files closed with the store down in %v", time.Since(start).Round(time.Millisecond))
			for name, c := range files {
				if _, err := b.Head(ctx, name); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("%s is in the store while the store cannot be reached: %v", name, err)
				}
				got, err := os.ReadFile(m.path(name))
				if err != nil || !bytes.Equal(got, c.bytes()) {
					t.Errorf("%s reads back %d bytes, %v", name, len(got), err)
				}
			}
			p.restore()
			if ents, err := os.ReadDir(m.Dir); err != nil || len(ents) != len(files)+1 {
				t.Errorf("the mount lists %d entries, want %d: %v", len(ents), len(files)+1, err)
			}
			m.stop()
			for name, c := range files {
				got, err := storeBytes(ctx, b, name)
				if err != nil || !bytes.Equal(got, c.bytes()) {
					t.Errorf("%s after unmount: %d bytes in the store, %v", name, len(got), err)
				}
			}
		})
	}
	t.Run("streaming path", func(t *testing.T) {
		tg := targets()[0]
		m := mountTarget(t, tg, mountOpts{dataPath: "block_cache", extraYAML: "lazy-write: true\n"})
		if err := writeContent(m.path("s"), content{name: "s", size: 1000}); err != nil {
			t.Fatal(err)
		}
		m.stop()
		log, _ := os.ReadFile(m.Log)
		if !strings.Contains(string(log), "key=lazy-write") || !strings.Contains(string(log), "streaming data path") {
			t.Errorf("no line says lazy-write has no effect on the streaming path:\n%s", tail(m.Log))
		}
	})
}
