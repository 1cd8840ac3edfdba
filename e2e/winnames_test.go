//go:build linux

package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// TestWindowsNames mounts with restricted-characters-windows: objects
// whose names Windows refuses show with look-alike characters, every one
// is reachable, and files made through the mount are stored under the
// original characters.
func TestWindowsNames(t *testing.T) {
	forEachTargetWith(t, mountOpts{extraYAML: "restricted-characters-windows: true\n"}, func(t *testing.T, m *mnt) {
		ctx := context.Background()
		keys := []string{"a:b", "q?/x*y", "ends.", "pipe|"}
		if m.target.name == "s3" {
			keys = append(keys, `back\slash`) // Azure refuses \ in names
		}
		for _, k := range keys {
			if _, err := m.Store.Put(ctx, k, strings.NewReader("data of "+k), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		shown := map[string]string{"a:b": "a：b", "q?/x*y": "q？/x＊y", "ends.": "ends．", "pipe|": "pipe｜", `back\slash`: "back＼slash"}
		for _, k := range keys {
			data, err := os.ReadFile(m.path(shown[k]))
			if err != nil || string(data) != "data of "+k {
				t.Errorf("%s shown as %s: %q %v", k, shown[k], data, err)
			}
		}
		ents, err := os.ReadDir(m.Dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		for _, want := range []string{"a：b", "q？", "ends．", "pipe｜"} {
			if !slices.Contains(names, want) {
				t.Errorf("listing %q lacks %q", names, want)
			}
		}
		// Made through the mount: stored with the original characters.
		if err := os.WriteFile(m.path("new：file＊"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(m.path("a：b"), m.path("renamed？")); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"new:file*", "renamed?"} {
			if _, err := m.Store.Head(ctx, k); err != nil {
				t.Errorf("%s is not stored: %v", k, err)
			}
		}
		if m.target.name == "azure" {
			// Azure refuses a backslash, so its look-alike is refused too.
			if err := os.WriteFile(m.path("back＼slash"), []byte("x"), 0o644); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("creating back＼slash on Azure: %v, want EINVAL", err)
			}
		}
		if _, err := m.Store.Head(ctx, "a:b"); err == nil {
			t.Error("a:b is still stored after the rename")
		}
		if _, err := os.Stat(filepath.Join(m.Dir, "a:b")); err == nil {
			t.Error("the original name a:b resolves too")
		}
	})
}
