package e2e

// Store options users set on a real mount: a proxy, the content type of
// new objects.

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"sync/atomic"
	"testing"
)

// countingProxy is an HTTP forward proxy on 127.0.0.1 that counts the
// requests it forwards.
func countingProxy(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL = pr.In.URL // a proxy request carries the absolute URL
		pr.Out.Host = pr.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		n.Add(1)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// A mount given --http-proxy sends its requests through the proxy, and the
// objects it writes get their extension's content type (set-content-type,
// on by default), a rename taking the new name's.
func TestProxyAndContentTypeOnAMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			proxy, count := countingProxy(t)
			b, section := tg.setup(t)
			m := mountWith(t, b, section, mountOpts{flags: []string{"--http-proxy=" + proxy}})
			for name, body := range map[string]string{"report.json": `{"a":1}`, "page.tmp": "<p>hi</p>", "blob.unknownext": "x"} {
				if err := os.WriteFile(m.path(name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Rename(m.path("page.tmp"), m.path("page.html")); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]string{"report.json": "application/json", "page.html": "text/html; charset=utf-8"} {
				o, err := m.Store.Head(t.Context(), key)
				if err != nil {
					t.Fatal(err)
				}
				if o.ContentType != want {
					t.Errorf("%s: content type %q, want %q", key, o.ContentType, want)
				}
			}
			if n := count.Load(); n < 4 {
				t.Errorf("the proxy forwarded %d requests; the mount wrote 3 files", n)
			}
		})
	}
}
