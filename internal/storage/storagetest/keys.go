package storagetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// InterestingKeys are key names that break stores which escape URLs,
// headers, query strings or file names carelessly. Their lexical order is the
// same in UTF-8 and UTF-16, so stores that sort either way agree.
var InterestingKeys = []string{
	"plain.txt",
	"with space.txt",
	"a b",
	"a+b",
	"a%2Bb",
	"percent%",
	"percent%20not-a-space",
	"%leading-percent",
	"%2F-literal-not-a-slash",
	"plus+sign+",
	"hash#tag",
	"question?mark",
	"amp&and=equals",
	"semi;colon:comma,",
	"tilde~star*",
	"quote'single\"double",
	"brackets[0]{1}(2)",
	"dollar$at@caret^",
	"back`tick|pipe!",
	"-leading-dash",
	".leading-dot",
	"..two-leading-dots",
	"ünïcödé/日本語.txt",
	"emoji-😀.bin",
	"Mixed/CASE/Key",
	"mixed/case/key",
	"dir/",
	"dir/file",
	"dir/sub/deep/file.txt",
}

func keyCases() []testCase {
	return []testCase{
		{"RoundTrip", testKeysRoundTrip},
		{"ObjectAndPrefixSameName", testKeysObjectAndPrefix},
		{"Long", testKeysLong},
	}
}

func testKeysRoundTrip(t *testing.T, b storage.Backend) {
	for i, k := range InterestingKeys {
		MustPut(t, b, k, fmt.Appendf(nil, "%d:%s", i, k))
	}
	for i, k := range InterestingKeys {
		obj := MustHead(t, b, k)
		if obj.Key != k {
			t.Errorf("head %q: Key = %q", k, obj.Key)
		}
		want := fmt.Appendf(nil, "%d:%s", i, k)
		if obj.Size != int64(len(want)) {
			t.Errorf("head %q: Size = %d, want %d", k, obj.Size, len(want))
		}
		MustContain(t, b, k, want)

		page, err := b.List(t.Context(), storage.ListOptions{Prefix: k, MaxKeys: 1})
		if err != nil {
			t.Fatalf("list prefix %q: %v", k, err)
		}
		if len(page.Objects) != 1 || page.Objects[0].Key != k {
			t.Errorf("list prefix %q: got %v, want the key itself first", k, Keys(page.Objects))
		}
	}

	objs, _ := MustListAll(t, b, storage.ListOptions{})
	if got, want := Keys(objs), sortedCopy(InterestingKeys); !slices.Equal(got, want) {
		t.Fatalf("full listing:\n got %q\nwant %q", got, want)
	}

	for _, k := range InterestingKeys {
		if err := b.Delete(t.Context(), k); err != nil {
			t.Fatalf("delete %q: %v", k, err)
		}
		MustNotExist(t, b, k)
	}
	objs, prefixes := MustListAll(t, b, storage.ListOptions{})
	if len(objs) != 0 || len(prefixes) != 0 {
		t.Fatalf("listing after deleting everything: %q %q", Keys(objs), prefixes)
	}
}

// A key may be an object and a prefix of other keys at once: "a", "a/" and
// "a/b" are three independent objects.
func testKeysObjectAndPrefix(t *testing.T, b storage.Backend) {
	keys := []string{"a/b", "a", "a/", "a/b/c", "a/b/", "a!"}
	for _, k := range keys {
		MustPut(t, b, k, []byte("content of "+k))
	}
	for _, k := range keys {
		MustContain(t, b, k, []byte("content of "+k))
	}
	objs, _ := MustListAll(t, b, storage.ListOptions{})
	if got, want := Keys(objs), sortedCopy(keys); !slices.Equal(got, want) {
		t.Fatalf("listing: got %q, want %q", got, want)
	}
	objs, prefixes := MustListAll(t, b, storage.ListOptions{Delimiter: "/"})
	if got, want := Keys(objs), []string{"a", "a!"}; !slices.Equal(got, want) {
		t.Fatalf("delimited objects: got %q, want %q", got, want)
	}
	if want := []string{"a/"}; !slices.Equal(prefixes, want) {
		t.Fatalf("delimited prefixes: got %q, want %q", prefixes, want)
	}

	// Deleting one of them leaves the others alone.
	for _, k := range []string{"a", "a/b/"} {
		if err := b.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
		MustNotExist(t, b, k)
	}
	for _, k := range []string{"a/b", "a/", "a/b/c", "a!"} {
		MustContain(t, b, k, []byte("content of "+k))
	}
	MustPut(t, b, "a", []byte("again"))
	MustContain(t, b, "a", []byte("again"))
}

// LongKey builds a key of exactly n bytes out of path segments of at most
// 100 bytes (file systems limit one name to 255 bytes).
func LongKey(prefix string, n int) string {
	var sb strings.Builder
	sb.WriteString(prefix)
	for seg := 0; sb.Len() < n; seg++ {
		c := string(rune('a' + seg%26))
		rest := n - sb.Len()
		if rest <= 99 {
			sb.WriteString(strings.Repeat(c, rest))
			break
		}
		sb.WriteString(strings.Repeat(c, min(99, rest-2)))
		sb.WriteByte('/')
	}
	return sb.String()
}

func testKeysLong(t *testing.T, b storage.Backend) {
	n := min(1000, b.Caps().MaxKeyLen)
	keys := []string{
		LongKey("long/", n),
		LongKey("long/ü", n),
		"long/" + strings.Repeat("x", min(200, n-5)),
	}
	for _, k := range keys {
		if len(k) > n || strings.Contains(k, "//") || strings.HasSuffix(k, "/") {
			t.Fatalf("bad test key %q (len %d)", k, len(k))
		}
	}
	for i, k := range keys {
		MustPut(t, b, k, []byte{byte(i)})
	}
	for i, k := range keys {
		if obj := MustHead(t, b, k); obj.Key != k {
			t.Errorf("head of a %d-byte key: Key has %d bytes", len(k), len(obj.Key))
		}
		MustContain(t, b, k, []byte{byte(i)})
	}
	objs, _ := MustListAll(t, b, storage.ListOptions{Prefix: "long/"})
	if got, want := Keys(objs), sortedCopy(keys); !slices.Equal(got, want) {
		t.Fatalf("listing long keys: got %d keys, want %d", len(got), len(want))
	}
}
