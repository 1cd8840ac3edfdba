package azstore

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// headerProxy is a reverse proxy on 127.0.0.1 in front of the test server
// that keeps the method, query and headers of each request.
func headerProxy(t *testing.T, endpoint string) (string, func() []*http.Request) {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(r.Context()))
		mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path, func() []*http.Request {
		mu.Lock()
		defer mu.Unlock()
		return append([]*http.Request(nil), seen...)
	}
}

// With a customer-provided key, every request that reads or writes blob
// data, properties or metadata carries the key and its hash, and no other
// request does; a copy reads and writes through.
func TestCustomerProvidedKey(t *testing.T) {
	o := serverOptions(t)
	o.Container = randomName("cf-cpk-")
	newStoreWithContainer(t, o)
	endpoint, seen := headerProxy(t, o.Endpoint)
	o.Endpoint = endpoint
	o.CPKKey = bytes.Repeat([]byte{3}, 32)
	o.BlockSize = 1 << 20
	s, err := New(testCtx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := testCtx(t)
	big := storagetest.Data(1, 3<<20+7)
	storagetest.MustPut(t, s, "small", []byte("encrypted"))
	storagetest.MustUpload(t, s, "big", [][]byte{big[:2<<20], big[2<<20:]}, storage.PutOptions{})
	if _, err := s.Copy(ctx, "big", "big-copy", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(ctx, "small", "small", storage.CopyOptions{Metadata: map[string]string{"mode": "600"}}); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, s, "big-copy", big)
	storagetest.MustContain(t, s, "small", []byte("encrypted"))
	if _, err := s.List(ctx, storage.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "small"); err != nil {
		t.Fatal(err)
	}
	want := CPKKeySHA256(o.CPKKey)
	var with, without int
	for _, r := range seen() {
		q := r.URL.Query()
		data := q.Get("restype") == "" && (q.Get("comp") == "" || q.Get("comp") == "block" ||
			q.Get("comp") == "blocklist" || q.Get("comp") == "metadata") && r.Method != http.MethodDelete &&
			r.Header.Get("x-ms-copy-source") == ""
		has := r.Header.Get("x-ms-encryption-key-sha256") == want && r.Header.Get("x-ms-encryption-algorithm") == "AES256" &&
			r.Header.Get("x-ms-encryption-key") != ""
		switch {
		case data && !has:
			t.Errorf("%s %s?%s without the key", r.Method, r.URL.Path, r.URL.RawQuery)
		case !data && r.Header.Get("x-ms-encryption-key") != "":
			t.Errorf("%s %s?%s with the key", r.Method, r.URL.Path, r.URL.RawQuery)
		case data:
			with++
		default:
			without++
			if r.Header.Get("x-ms-copy-source") != "" {
				t.Error("a server-side copy was used")
			}
		}
	}
	if with < 8 || without < 2 {
		t.Errorf("%d requests with the key, %d without", with, without)
	}
	o.CPKKey = []byte("short")
	if _, err := New(ctx, o); err == nil || !strings.Contains(err.Error(), "must be 32") {
		t.Errorf("a short key: %v", err)
	}
}
