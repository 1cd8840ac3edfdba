package keyspace

import (
	"errors"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"a", "a/", "a/b/", "ü", strings.Repeat("x", 10), "a b", "."} {
		if err := CheckKey("put", k, 10); err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
	for _, k := range []string{"", "/a", "a//b", "a//", strings.Repeat("x", 11), "\xff", "a\x00b"} {
		if err := CheckKey("put", k, 10); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("%q: %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestMetadata(t *testing.T) {
	m, err := Metadata("put", "k", map[string]string{"Mode": "1", "uid": "2"}, 100)
	if err != nil || len(m) != 2 || m["mode"] != "1" || m["uid"] != "2" {
		t.Fatalf("%v %v", m, err)
	}
	if m, err := Metadata("put", "k", map[string]string{}, 100); m != nil || err != nil {
		t.Fatalf("empty: %v %v", m, err)
	}
	if _, err := Metadata("put", "k", map[string]string{"k": "123456789"}, 9); !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
}

func TestClip(t *testing.T) {
	cases := []struct {
		size, off, n int64
		start, end   int64
		bad          bool
	}{
		{10, 0, -1, 0, 10, false},
		{10, 0, 0, 0, 0, false},
		{10, 9, 5, 9, 10, false},
		{10, 3, 4, 3, 7, false},
		{10, 10, -1, 0, 0, true},
		{10, -1, 1, 0, 0, true},
		{0, 0, -1, 0, 0, false},
		{0, 0, 5, 0, 0, false},
		{0, 1, -1, 0, 0, true},
	}
	for _, c := range cases {
		s, e, err := Clip(c.size, storage.GetOptions{Offset: c.off, Length: c.n})
		if (err != nil) != c.bad || (!c.bad && (s != c.start || e != c.end)) {
			t.Errorf("Clip(%d, %d, %d) = %d, %d, %v", c.size, c.off, c.n, s, e, err)
		}
	}
}

func TestPageTokens(t *testing.T) {
	if _, err := NewPage(storage.ListOptions{ContinuationToken: "not a token!"}); err == nil {
		t.Fatal("malformed token accepted")
	}
	keys := []string{"a/1", "a/2", "b", "c/1"}
	var got []string
	opts := storage.ListOptions{Delimiter: "/", MaxKeys: 1, StartAfter: "0"}
	for range 10 {
		p, err := NewPage(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !p.Add(k, func() (storage.Object, bool) { return storage.Object{}, true }) {
				break
			}
		}
		r := p.Result()
		got = append(got, r.CommonPrefixes...)
		for _, o := range r.Objects {
			got = append(got, o.Key)
		}
		if r.NextToken == "" {
			break
		}
		opts.ContinuationToken = r.NextToken
	}
	if strings.Join(got, " ") != "a/ b c/" {
		t.Fatalf("pages gave %q", got)
	}
}

// A key that does not exist must not make a common prefix appear.
func TestPageMissingKeyMakesNoPrefix(t *testing.T) {
	p, _ := NewPage(storage.ListOptions{Delimiter: "/"})
	p.Add("gone/x", func() (storage.Object, bool) { return storage.Object{}, false })
	p.Add("here", func() (storage.Object, bool) { return storage.Object{}, true })
	r := p.Result()
	if len(r.CommonPrefixes) != 0 || len(r.Objects) != 1 {
		t.Fatalf("%+v", r)
	}
}
