//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// What metadata costs in requests on a real mount: `ls -l` of a directory
// is its listing pages (MinIO and Azure return metadata in listings), and
// going through the names of a directory nobody listed, or deleting them,
// costs one listing instead of three requests a name. Stored modes show
// either way, and a file another client creates afterwards shows at once.
func TestListingCosts(t *testing.T) {
	const files = 1500
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			ctx := context.Background()
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(32)
			for _, dir := range []string{"ls", "names"} {
				for i := range files {
					key := fmt.Sprintf("%s/f%04d", dir, i)
					var md map[string]string
					if i == 5 || i == 1205 { // on the first page and on the second
						md = map[string]string{"mode": "33152"} // -rw-------
					}
					g.Go(func() error {
						_, err := b.Put(gctx, key, strings.NewReader("x"), storage.PutOptions{Metadata: md})
						return err
					})
				}
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			m := mountWith(t, b, section, mountOpts{})

			before := healthJSON(t, m.Dir).Store
			out, err := exec.Command("ls", "-l", m.path("ls")).CombinedOutput()
			if err != nil {
				t.Fatalf("ls -l: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != files+1 { // "total" first
				t.Fatalf("ls -l printed %d lines", len(lines))
			}
			for _, i := range []int{6, 1206} {
				if !strings.HasPrefix(lines[i], "-rw------- ") || !strings.HasSuffix(lines[i], fmt.Sprintf(" f%04d", i-1)) {
					t.Fatalf("stored mode not shown: %q", lines[i])
				}
			}
			d := delta(healthJSON(t, m.Dir).Store, before)
			t.Logf("ls -l of %d objects: %d LIST, %d HEAD", files, d["list"].Count, d["head"].Count)
			if d["head"].Count > 3 || d["list"].Count > 4 {
				t.Fatalf("ls -l of %d objects cost %d LIST and %d HEAD; want its 2 pages and at most the lookup of the directory",
					files, d["list"].Count, d["head"].Count)
			}

			// Three names missing the cache start a listing of their
			// directory in the background; the lookups after it lands
			// cost nothing.
			for i := range 3 {
				if _, err := os.Stat(m.path(fmt.Sprintf("names/f%04d", i))); err != nil {
					t.Fatal(err)
				}
			}
			probe := files
			waitFor(t, 20*time.Second, "the listing of names/", func() bool {
				// Once the listing is cached, a name not yet looked up
				// costs nothing.
				probe--
				s0 := healthJSON(t, m.Dir).Store
				if _, err := os.Stat(m.path(fmt.Sprintf("names/f%04d", probe))); err != nil {
					t.Fatal(err)
				}
				d := delta(healthJSON(t, m.Dir).Store, s0)
				return d["list"].Count+d["head"].Count == 0
			})
			before = healthJSON(t, m.Dir).Store
			for i := range files {
				fi, err := os.Stat(m.path(fmt.Sprintf("names/f%04d", i)))
				if err != nil {
					t.Fatal(err)
				}
				if i == 5 && fi.Mode().Perm() != 0o600 {
					t.Fatalf("f0005 mode %v, want the stored -rw-------", fi.Mode())
				}
			}
			d = delta(healthJSON(t, m.Dir).Store, before)
			t.Logf("stat of %d names one by one: %d LIST, %d HEAD", files, d["list"].Count, d["head"].Count)
			if d["head"].Count != 0 || d["list"].Count != 0 {
				t.Fatalf("stat of %d listed names cost %d LIST and %d HEAD; want none", files, d["list"].Count, d["head"].Count)
			}

			// The listing proves no absence: a file another client
			// creates now shows at once.
			if _, err := os.Stat(m.path("names/late")); !os.IsNotExist(err) {
				t.Fatalf("stat of a name nobody made: %v", err)
			}
			if _, err := b.Put(ctx, "names/late", strings.NewReader("l"), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // the kernel's negative entry (1 s here)
			if got := mustRead(t, m.path("names/late")); got != "l" {
				t.Fatalf("another client's new file reads %q", got)
			}

			before = healthJSON(t, m.Dir).Store
			for i := range files {
				if err := os.Remove(m.path(fmt.Sprintf("names/f%04d", i))); err != nil {
					t.Fatal(err)
				}
			}
			d = delta(healthJSON(t, m.Dir).Store, before)
			t.Logf("rm of %d names: %d DELETE, %d LIST, %d HEAD", files, d["delete"].Count, d["list"].Count, d["head"].Count)
			if d["delete"].Count != files || d["head"].Count != 0 || d["list"].Count != 0 {
				t.Fatalf("rm of %d names cost %d DELETE, %d LIST and %d HEAD", files, d["delete"].Count, d["list"].Count, d["head"].Count)
			}
			if err := os.Remove(m.path("names/late")); err != nil {
				t.Fatal(err)
			}
			page, err := b.List(ctx, storage.ListOptions{Prefix: "names/"})
			if err != nil || len(page.Objects) != 0 {
				t.Fatalf("objects left after rm: %d %v", len(page.Objects), err)
			}
		})
	}
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
