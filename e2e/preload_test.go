//go:build linux

package e2e

// Data for training jobs: preload into the file cache, and a file cache
// that outlives the mount (allow-non-empty-temp).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func storeGets(t *testing.T, m *mnt) int64 {
	t.Helper()
	return healthJSON(t, m.Dir).Store["get"].Count
}

// cloudfuse preload loads a directory; reading it then sends no GET,
// while a file outside it is fetched when read. Unmounting during a
// preload leaves only whole copies in the cache.
func TestPreloadMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			want := map[string]string{}
			for i := range 30 {
				key := fmt.Sprintf("ds/f%02d.bin", i)
				want[key] = strings.Repeat(string(rune('a'+i%26)), 64<<10+i)
			}
			want["ds/sub/x.bin"] = "nested"
			for k, v := range want {
				storePut(t, b, k, v)
			}
			storePut(t, b, "other/y.bin", "outside")
			m := mountWith(t, b, section, mountOpts{fileCache: "  allow-non-empty-temp: true\n"})

			out, code := cloudfuse(t, "preload", m.Dir, "ds")
			if code != 0 || !strings.Contains(out, "preload finished") {
				t.Fatalf("preload: exit %d\n%s\nlog:\n%s", code, out, tail(m.Log))
			}
			s := healthJSON(t, m.Dir)
			if p := s.Preload; p == nil || p.Running || !p.Listed || p.Files != 31 || p.FilesDone != 31 || p.Error != "" {
				t.Fatalf("health after the preload: %+v", s.Preload)
			}
			before := storeGets(t, m)
			for k, v := range want {
				if got := mustRead(t, m.path(k)); got != v {
					t.Fatalf("%s: read %d bytes, want %d", k, len(got), len(v))
				}
			}
			if n := storeGets(t, m) - before; n != 0 {
				t.Errorf("reading the preloaded files sent %d GETs, want 0", n)
			}
			if got := mustRead(t, m.path("other/y.bin")); got != "outside" || storeGets(t, m) == before {
				t.Errorf("a file outside the preload: %q, GETs %d -> %d", got, before, storeGets(t, m))
			}
			out, code = cloudfuse(t, "preload", m.Dir, "nope")
			if code == 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "nope") {
				t.Errorf("preload of a missing directory: exit %d: %q", code, out)
			}

			// Interrupted: large files, unmount while they load.
			for i := range 4 {
				storePut(t, b, fmt.Sprintf("big/b%d", i), strings.Repeat("B", 24<<20))
			}
			if out, code := cloudfuse(t, "preload", m.Dir, "big", "--detach", "--workers=1"); code != 0 {
				t.Fatalf("preload --detach: %d %s", code, out)
			}
			m.stop()
			log, _ := os.ReadFile(m.Log)
			t.Logf("cut short: %v", strings.Contains(string(log), "preload stopped before the end"))
			checkWholeCopies(t, m.Cache)
		})
	}
}

// checkWholeCopies checks that every staged file in the cache directory
// is a clean copy with a record naming its size: nothing partial.
func checkWholeCopies(t *testing.T, cache string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(cache, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		st, _ := e.Info()
		rec, err := os.ReadFile(filepath.Join(cache, "clean", e.Name()+".json"))
		if err != nil {
			t.Errorf("data/%s (%d bytes) is in the cache without a record: a partial file", e.Name(), st.Size())
			continue
		}
		var r struct{ Size int64 }
		if json.Unmarshal(rec, &r) != nil || r.Size != st.Size() {
			t.Errorf("data/%s holds %d bytes, its record says %s", e.Name(), st.Size(), rec)
		}
	}
}

// --preload loads the mount at start. With allow-non-empty-temp a remount
// reuses a cached file without a GET, and fetches one that changed behind
// its back.
func TestFileCacheOutlivesTheMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, "keep.bin", strings.Repeat("k", 3<<20))
			storePut(t, b, "change.bin", strings.Repeat("1", 1<<20))
			m := mountWith(t, b, section, mountOpts{fileCache: "  allow-non-empty-temp: true\n",
				flags: []string{"--preload"}})
			deadline := time.Now().Add(20 * time.Second)
			for s := healthJSON(t, m.Dir); s.Preload == nil || s.Preload.Running; s = healthJSON(t, m.Dir) {
				if time.Now().After(deadline) {
					t.Fatalf("--preload: %+v", s.Preload)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if p := healthJSON(t, m.Dir).Preload; p.FilesDone != 2 || p.Error != "" {
				t.Fatalf("--preload: %+v", p)
			}
			before := storeGets(t, m)
			mustRead(t, m.path("keep.bin"))
			mustRead(t, m.path("change.bin"))
			if n := storeGets(t, m) - before; n != 0 {
				t.Errorf("reads after --preload sent %d GETs", n)
			}
			// No preload this time: it would fetch the changed file in
			// the background while the reads below are counted.
			m.opts.flags = nil
			m.remount()
			storePut(t, b, "change.bin", strings.Repeat("2", 1<<20))
			before = storeGets(t, m)
			if got := mustRead(t, m.path("keep.bin")); got != strings.Repeat("k", 3<<20) {
				t.Fatal("keep.bin reads wrong after the remount")
			}
			if n := storeGets(t, m) - before; n != 0 {
				t.Errorf("a cached, unchanged file sent %d GETs after the remount", n)
			}
			deadline = time.Now().Add(5 * time.Second)
			for mustRead(t, m.path("change.bin")) != strings.Repeat("2", 1<<20) {
				if time.Now().After(deadline) {
					t.Fatal("a file changed behind the mount's back still reads the old copy")
				}
				time.Sleep(200 * time.Millisecond)
			}
			if storeGets(t, m) == before {
				t.Error("the changed file was read without a GET")
			}
		})
	}
}
