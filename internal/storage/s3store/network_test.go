package s3store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// Requests go through s3storage.http-proxy, even to a loopback endpoint
// the environment's NO_PROXY rules would exempt.
func TestHTTPProxyOption(t *testing.T) {
	opts := serverOptions(t)
	opts.Bucket = newTestStore(t).bucket
	proxy, count := storagetest.ForwardProxy(t)
	opts.HTTPProxy = proxy
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := mustNew(t, opts)
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
	front, ca := storagetest.TLSFront(t, opts.Endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.Endpoint, opts.MaxRetries = front, -1
	storagetest.RequireCATrust(t, ca, func(caFile string) (storage.Backend, error) {
		opts.CACertFile = caFile
		return New(ctx, opts)
	})
	opts.CACertFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(ctx, opts); err == nil || !strings.Contains(err.Error(), "missing.pem: no such file") {
		t.Errorf("missing CA file: %v", err)
	}
}
