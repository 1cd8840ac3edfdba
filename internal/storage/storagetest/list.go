package storagetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func listCases() []testCase {
	return []testCase{
		{"Flat", testListFlat},
		{"Delimiter", testListDelimiter},
		{"PartialPrefix", testListPartialPrefix},
		{"StartAfter", testListStartAfter},
		{"SmallPages", testListSmallPages},
		{"SmallPagesDelimiter", testListSmallPagesDelimiter},
		{"OverThousand", testListOverThousand},
		{"OtherDelimiter", testListOtherDelimiter},
	}
}

// treeKeys mixes objects, markers and nested prefixes under "d/". No key
// extends another object's key ("a" and "a/b"): Keys/ObjectAndPrefixSameName
// covers that on its own.
var treeKeys = []string{
	"d/a",
	"d/b/1",
	"d/b/2",
	"d/c/x/y",
	"d/e-",
	"d/e/f",
	"d/z/",
	"d/z/in-z",
	"d0",
	"e",
}

func testListFlat(t *testing.T, b storage.Backend) {
	MustPutMany(t, b, treeKeys)
	objs, prefixes := MustListAll(t, b, storage.ListOptions{})
	if len(prefixes) != 0 {
		t.Fatalf("flat listing has common prefixes %q", prefixes)
	}
	if got, want := Keys(objs), sortedCopy(treeKeys); !slices.Equal(got, want) {
		t.Fatalf("flat listing:\n got %q\nwant %q", got, want)
	}
	for _, o := range objs {
		h := MustHead(t, b, o.Key)
		if o.Size != int64(len(o.Key)) || o.ETag != h.ETag || o.LastModified.IsZero() {
			t.Fatalf("listed %+v, head %+v", o, h)
		}
	}
	objs, _ = MustListAll(t, b, storage.ListOptions{Prefix: "d/"})
	if got, want := Keys(objs), sortedCopy(treeKeys[:8]); !slices.Equal(got, want) {
		t.Fatalf("flat listing of d/:\n got %q\nwant %q", got, want)
	}
}

func testListDelimiter(t *testing.T, b storage.Backend) {
	MustPutMany(t, b, treeKeys)
	cases := []struct {
		prefix   string
		objects  []string
		prefixes []string
	}{
		{"", []string{"d0", "e"}, []string{"d/"}},
		{"d/", []string{"d/a", "d/e-"}, []string{"d/b/", "d/c/", "d/e/", "d/z/"}},
		{"d/b/", []string{"d/b/1", "d/b/2"}, nil},
		{"d/c/", nil, []string{"d/c/x/"}},
		{"d/z/", []string{"d/z/", "d/z/in-z"}, nil},
		{"d/e", []string{"d/e-"}, []string{"d/e/"}},
		{"nope/", nil, nil},
	}
	for _, c := range cases {
		objs, prefixes := MustListAll(t, b, storage.ListOptions{Prefix: c.prefix, Delimiter: "/"})
		if got := Keys(objs); !slices.Equal(got, c.objects) && !(len(got) == 0 && len(c.objects) == 0) {
			t.Errorf("prefix %q: objects %q, want %q", c.prefix, got, c.objects)
		}
		if !slices.Equal(prefixes, c.prefixes) && !(len(prefixes) == 0 && len(c.prefixes) == 0) {
			t.Errorf("prefix %q: common prefixes %q, want %q", c.prefix, prefixes, c.prefixes)
		}
	}
}

// A prefix that ends inside a name matches every key starting with it.
func testListPartialPrefix(t *testing.T, b storage.Backend) {
	MustPutMany(t, b, []string{"abc", "abcd", "abd", "ab/x", "ab/y/z", "b"})
	objs, _ := MustListAll(t, b, storage.ListOptions{Prefix: "abc"})
	if got, want := Keys(objs), []string{"abc", "abcd"}; !slices.Equal(got, want) {
		t.Fatalf("prefix abc: %q, want %q", got, want)
	}
	objs, prefixes := MustListAll(t, b, storage.ListOptions{Prefix: "ab", Delimiter: "/"})
	if got, want := Keys(objs), []string{"abc", "abcd", "abd"}; !slices.Equal(got, want) {
		t.Fatalf("prefix ab with delimiter: objects %q, want %q", got, want)
	}
	if want := []string{"ab/"}; !slices.Equal(prefixes, want) {
		t.Fatalf("prefix ab with delimiter: prefixes %q, want %q", prefixes, want)
	}
	objs, _ = MustListAll(t, b, storage.ListOptions{Prefix: "ab/y/"})
	if got, want := Keys(objs), []string{"ab/y/z"}; !slices.Equal(got, want) {
		t.Fatalf("prefix ab/y/: %q, want %q", got, want)
	}
	objs, _ = MustListAll(t, b, storage.ListOptions{Prefix: "abcde"})
	if len(objs) != 0 {
		t.Fatalf("prefix abcde: %q", Keys(objs))
	}
}

func testListStartAfter(t *testing.T, b storage.Backend) {
	var keys []string
	for i := range 10 {
		keys = append(keys, fmt.Sprintf("k%02d", i))
	}
	keys = append(keys, "p/1", "p/2", "p/3")
	MustPutMany(t, b, keys)

	cases := []struct {
		opts storage.ListOptions
		want []string
	}{
		{storage.ListOptions{StartAfter: "k03"}, append(slices.Clone(keys[4:10]), "p/1", "p/2", "p/3")},
		{storage.ListOptions{StartAfter: "k035"}, append(slices.Clone(keys[4:10]), "p/1", "p/2", "p/3")},
		{storage.ListOptions{StartAfter: "k"}, keys},
		{storage.ListOptions{StartAfter: "p/3"}, nil},
		{storage.ListOptions{StartAfter: "zzz"}, nil},
		{storage.ListOptions{Prefix: "p/", StartAfter: "p/1"}, []string{"p/2", "p/3"}},
		{storage.ListOptions{Prefix: "k", StartAfter: "k08", MaxKeys: 1}, []string{"k09"}},
	}
	for _, c := range cases {
		objs, _ := MustListAll(t, b, c.opts)
		if got := Keys(objs); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("list %+v: %q, want %q", c.opts, got, c.want)
		}
	}
}

func testListSmallPages(t *testing.T, b storage.Backend) {
	var keys []string
	for i := range 23 {
		keys = append(keys, fmt.Sprintf("p/%02d", i))
	}
	MustPutMany(t, b, keys)
	for _, max := range []int{1, 2, 5, 22, 23, 24} {
		var got []string
		opts := storage.ListOptions{Prefix: "p/", MaxKeys: max}
		for pages := 0; ; pages++ {
			if pages > len(keys)+1 {
				t.Fatalf("MaxKeys %d: listing does not end", max)
			}
			p, err := b.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Objects) > max {
				t.Fatalf("MaxKeys %d: page of %d", max, len(p.Objects))
			}
			got = append(got, Keys(p.Objects)...)
			if p.NextToken == "" {
				break
			}
			opts.ContinuationToken = p.NextToken
		}
		if !slices.Equal(got, keys) {
			t.Fatalf("MaxKeys %d: %q", max, got)
		}
	}

	// A token stays valid after the keys it passed are deleted.
	p, err := b.List(t.Context(), storage.ListOptions{Prefix: "p/", MaxKeys: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range p.Objects {
		if err := b.Delete(t.Context(), o.Key); err != nil {
			t.Fatal(err)
		}
	}
	objs, _, err := ListAll(t.Context(), b, storage.ListOptions{Prefix: "p/", MaxKeys: 5, ContinuationToken: p.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if got := Keys(objs); !slices.Equal(got, keys[5:]) {
		t.Fatalf("after deleting the first page: %q", got)
	}
}

// Objects and common prefixes share a page's MaxKeys; paging must neither
// repeat nor drop a common prefix.
func testListSmallPagesDelimiter(t *testing.T, b storage.Backend) {
	var keys []string
	for i := range 6 {
		keys = append(keys, fmt.Sprintf("t/o%d", i), fmt.Sprintf("t/d%d/x", i), fmt.Sprintf("t/d%d/y", i))
	}
	MustPutMany(t, b, keys)
	wantObjs := []string{"t/o0", "t/o1", "t/o2", "t/o3", "t/o4", "t/o5"}
	wantPrefixes := []string{"t/d0/", "t/d1/", "t/d2/", "t/d3/", "t/d4/", "t/d5/"}
	for _, max := range []int{1, 2, 3, 7} {
		var objs []string
		var prefixes []string
		opts := storage.ListOptions{Prefix: "t/", Delimiter: "/", MaxKeys: max}
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("MaxKeys %d: listing does not end", max)
			}
			p, err := b.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(p.Objects) + len(p.CommonPrefixes); n > max {
				t.Fatalf("MaxKeys %d: page of %d entries", max, n)
			}
			objs = append(objs, Keys(p.Objects)...)
			prefixes = append(prefixes, p.CommonPrefixes...)
			if p.NextToken == "" {
				break
			}
			opts.ContinuationToken = p.NextToken
		}
		if !slices.Equal(objs, wantObjs) || !slices.Equal(prefixes, wantPrefixes) {
			t.Fatalf("MaxKeys %d: objects %q prefixes %q", max, objs, prefixes)
		}
	}
}

// More keys than one default page (1000 on S3) list completely and in order.
func testListOverThousand(t *testing.T, b storage.Backend) {
	const n = 1100
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("big/%05d", i)
	}
	MustPutMany(t, b, keys)
	MustPut(t, b, "big0", nil)

	for _, delim := range []string{"", "/"} {
		pages := 0
		var got []string
		opts := storage.ListOptions{Prefix: "big/", Delimiter: delim}
		for {
			p, err := b.List(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(p.CommonPrefixes) != 0 {
				t.Fatalf("unexpected common prefixes %q", p.CommonPrefixes)
			}
			got = append(got, Keys(p.Objects)...)
			if p.NextToken == "" {
				break
			}
			opts.ContinuationToken = p.NextToken
		}
		if !slices.Equal(got, keys) {
			t.Fatalf("delimiter %q: listed %d keys, want %d in order", delim, len(got), n)
		}
		t.Logf("delimiter %q: %d keys in %d pages", delim, len(got), pages)
	}
	_, prefixes := MustListAll(t, b, storage.ListOptions{Delimiter: "/"})
	if !slices.Equal(prefixes, []string{"big/"}) {
		t.Fatalf("top-level prefixes %q", prefixes)
	}
}

// Any string can be a delimiter, not only "/".
func testListOtherDelimiter(t *testing.T, b storage.Backend) {
	MustPutMany(t, b, []string{"x-1", "x-2-a", "x-2-b", "x/3", "y", "x--z"})
	cases := []struct {
		prefix   string
		objects  []string
		prefixes []string
	}{
		{"", []string{"x/3", "y"}, []string{"x-"}},
		{"x-", []string{"x-1"}, []string{"x--", "x-2-"}},
		{"x-2-", []string{"x-2-a", "x-2-b"}, nil},
	}
	for _, c := range cases {
		objs, prefixes := MustListAll(t, b, storage.ListOptions{Prefix: c.prefix, Delimiter: "-"})
		if got := Keys(objs); !slices.Equal(got, c.objects) {
			t.Errorf("prefix %q: objects %q, want %q", c.prefix, got, c.objects)
		}
		if !slices.Equal(prefixes, c.prefixes) && !(len(prefixes) == 0 && len(c.prefixes) == 0) {
			t.Errorf("prefix %q: common prefixes %q, want %q", c.prefix, prefixes, c.prefixes)
		}
	}
}
