package wrap

import (
	"context"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

func TestWindowsNamesRoundTrip(t *testing.T) {
	for store, shown := range map[string]string{
		`a:b`:                  "a：b",
		`q?/x*y|z`:             "q？/x＊y｜z",
		`"quoted" <tag>`:       "＂quoted＂ ＜tag＞",
		`back\slash`:           "back＼slash",
		`ends.`:                "ends．",
		`dir./file `:           "dir．/file␠",
		`plain/name.txt`:       "plain/name.txt",
		`dir/`:                 "dir/",
		`trailing dots..`:      "trailing dots.．",
		`mid. dot and. space `: "mid. dot and. space␠",
	} {
		if got := mapSegments(store, toWindows); got != shown {
			t.Errorf("shown(%q) = %q, want %q", store, got, shown)
		}
		if got := mapSegments(shown, fromWindows); got != store {
			t.Errorf("stored(%q) = %q, want %q", shown, got, store)
		}
	}
}

// Every object is reachable through the view, and a round trip through it
// keeps the original key.
func TestWindowsNamesView(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{})
	for _, k := range []string{"a:b", "d?/f*", "d?/g.", "plain"} {
		if _, err := mem.Put(ctx, k, strings.NewReader(k), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	v := WindowsNames(mem)
	page, err := v.List(ctx, storage.ListOptions{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range page.Objects {
		keys = append(keys, o.Key)
	}
	if strings.Join(keys, ",") != "a：b,plain" || strings.Join(page.CommonPrefixes, ",") != "d？/" {
		t.Fatalf("listing: %q %q", keys, page.CommonPrefixes)
	}
	page, err = v.List(ctx, storage.ListOptions{Prefix: "d？/", Delimiter: "/"})
	if err != nil || len(page.Objects) != 2 || page.Objects[0].Key != "d？/f＊" || page.Objects[1].Key != "d？/g．" {
		t.Fatalf("listing d？/: %+v %v", page.Objects, err)
	}
	if _, err := v.Copy(ctx, "d？/g．", "new：name", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Head(ctx, "new:name"); err != nil {
		t.Fatalf("the copy is not stored as new:name: %v", err)
	}
	if o, err := v.Head(ctx, "a：b"); err != nil || o.Key != "a：b" {
		t.Fatalf("head: %+v %v", o, err)
	}
	if err := v.Delete(ctx, "a：b"); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Head(ctx, "a:b"); err == nil {
		t.Fatal("a:b is still stored")
	}
}

// reserving reports a store that refuses the backslash, as Azure does.
type reserving struct{ storage.Backend }

func (r reserving) Caps() storage.Caps {
	c := r.Backend.Caps()
	c.ReservedChars = `\`
	return c
}

// A name whose look-alike maps to a character the store refuses is
// refused too: "a＼b" would reach the store as "a\b".
func TestWindowsNamesKeepTheStoresReservedCharacters(t *testing.T) {
	c := WindowsNames(reserving{memstore.New(memstore.Options{})}).Caps()
	if !strings.Contains(c.ReservedChars, `\`) || !strings.Contains(c.ReservedChars, "＼") {
		t.Fatalf("reserved %q", c.ReservedChars)
	}
	if c := WindowsNames(memstore.New(memstore.Options{})).Caps(); c.ReservedChars != "" {
		t.Fatalf("a store that reserves nothing reserves %q through the view", c.ReservedChars)
	}
}
