package s3store

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// forwardProxy is an HTTP forward proxy on 127.0.0.1 that counts the
// requests it forwards.
func forwardProxy(t *testing.T) (*httptest.Server, *atomic.Int64) {
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
	return srv, &n
}

// Requests go through s3storage.http-proxy, even to a loopback endpoint
// the environment's NO_PROXY rules would exempt.
func TestHTTPProxyOption(t *testing.T) {
	opts := serverOptions(t)
	opts.Bucket = newTestStore(t).bucket
	proxy, count := forwardProxy(t)
	opts.HTTPProxy = proxy.URL
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.MustPut(t, s, "via/proxy", []byte("through the proxy"))
	if got := storagetest.MustGet(t, s, "via/proxy"); string(got) != "through the proxy" {
		t.Fatalf("read back %q", got)
	}
	if _, err := s.List(ctx, storage.ListOptions{Prefix: "via/"}); err != nil {
		t.Fatal(err)
	}
	if n := count.Load(); n < 3 {
		t.Errorf("the proxy forwarded %d requests, want the 3 made", n)
	}
}

// An https endpoint whose certificate comes from a private CA is trusted
// with s3storage.ca-cert-file, and refused without it.
func TestCACertFileOption(t *testing.T) {
	opts := serverOptions(t)
	opts.Bucket = newTestStore(t).bucket
	target, err := url.Parse(opts.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host // the signature covers the host the client saw
	}}
	tlsSrv := httptest.NewUnstartedServer(rp)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.Endpoint = tlsSrv.URL
	opts.MaxRetries = -1
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "tls", strings.NewReader("x"), storage.PutOptions{})
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: %v", err)
	}
	opts.CACertFile = ca
	s, err = New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.MustPut(t, s, "tls", []byte("over TLS"))
	if got := storagetest.MustGet(t, s, "tls"); string(got) != "over TLS" {
		t.Fatalf("read back %q", got)
	}
	opts.CACertFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(ctx, opts); err == nil || !strings.Contains(err.Error(), "missing.pem: no such file") {
		t.Errorf("missing CA file: %v", err)
	}
}
