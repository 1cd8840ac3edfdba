package azstore

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// flakyFront sits between the store and the test server and answers the
// first failures requests of a method with 503 ServerBusy, after reading
// the body as the service would.
func flakyFront(t *testing.T, target, method string, failures int32) (endpoint string, seen *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	seen = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method && seen.Add(1) <= failures {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("x-ms-error-code", "ServerBusy")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + u.Path, seen
}

// A retried upload sends the body again from where the caller's body was.
func TestRetryResendsBodyFromPosition(t *testing.T) {
	real := newServerStore(t)
	o := serverOptions(t)
	o.Container = real.cfg.Container
	ep, seen := flakyFront(t, o.Endpoint, http.MethodPut, 2)
	o.Endpoint = ep
	ctx := testCtx(t)
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReader("xxxxpayload")
	_, _ = r.Seek(4, io.SeekStart)
	if _, err := s.Put(ctx, "k", r, storage.PutOptions{}); err != nil {
		t.Fatalf("put through two 503s: %v", err)
	}
	if n := seen.Load(); n != 3 {
		t.Fatalf("%d PUTs reached the front, want 3", n)
	}
	storagetest.MustContain(t, real, "k", []byte("payload"))

	// Past MaxRetries the throttling shows as ErrThrottled.
	o.Endpoint, _ = flakyFront(t, serverOptions(t).Endpoint, http.MethodPut, 100)
	o.MaxRetries = 1
	s, err = New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "k", strings.NewReader("x"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrThrottled)
}

// HTTP_PROXY from the environment is honoured, and the proxy option beats
// it. The endpoint host does not exist: only the proxy can answer.
func TestProxy(t *testing.T) {
	var hits atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host != "account.blob.example.invalid" {
			http.Error(w, "unexpected host "+r.URL.Host, http.StatusBadGateway)
			return
		}
		hits.Add(1)
		w.Header().Set("x-ms-error-code", "BlobNotFound")
		w.WriteHeader(http.StatusNotFound)
	}))
	defer proxy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o := Options{
		AccountName: "account", Container: "c", AccountKey: devKey, UseHTTP: true,
		Endpoint: "account.blob.example.invalid", MaxRetries: -1,
	}

	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Head(ctx, "k")
	storagetest.RequireKind(t, err, storage.ErrNotFound)
	if hits.Load() != 1 {
		t.Fatalf("proxy from the environment saw %d requests", hits.Load())
	}

	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("http_proxy", "http://127.0.0.1:1")
	o.HTTPProxy = proxy.URL
	s, err = New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Head(ctx, "k")
	storagetest.RequireKind(t, err, storage.ErrNotFound)
	if hits.Load() != 2 {
		t.Fatalf("proxy option saw %d requests in all", hits.Load()-1)
	}
}

// Mode sas works with a SAS made from the account key, with or without
// the leading "?".
func TestSASMode(t *testing.T) {
	keyed := newServerStore(t)
	o := serverOptions(t)
	token := accountSAS(t, time.Hour)
	ctx := testCtx(t)
	for _, token := range []string{token, "?" + token} {
		s, err := New(ctx, Options{
			Endpoint: o.Endpoint, Container: keyed.cfg.Container, Mode: ModeSAS, SAS: token,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CheckContainer(ctx); err != nil {
			t.Fatalf("check with SAS: %v", err)
		}
		storagetest.MustPut(t, s, "dir/a b", []byte("via sas"))
		if _, err := s.Copy(ctx, "dir/a b", "dir/copy", storage.CopyOptions{}); err != nil {
			t.Fatalf("copy with SAS: %v", err)
		}
		storagetest.MustContain(t, keyed, "dir/copy", []byte("via sas"))
		if err := s.Delete(ctx, "dir/copy"); err != nil {
			t.Fatal(err)
		}
	}
	// A SAS that is not valid is refused as a permission problem.
	s, err := New(ctx, Options{Endpoint: o.Endpoint, Container: keyed.cfg.Container, SAS: "sv=2020-02-10&sig=bad"})
	if err != nil {
		t.Fatal(err)
	}
	storagetest.RequireKind(t, s.CheckContainer(ctx), storage.ErrPermission)
}

// A store that accepts connections and never answers fails a request
// after its retries, each ended by the idle timeout, instead of blocking
// it for as long as the store stays silent.
func TestSilentStoreFailsWithinTheIdleTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := New(ctx, Options{AccountName: "account", Container: "c", AccountKey: devKey, UseHTTP: true,
		Endpoint: ln.Addr().String(), MaxRetries: 1, RetryDelay: 10 * time.Millisecond,
		IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Head(ctx, "k")
	if err == nil || ctx.Err() != nil {
		t.Fatalf("head of a silent store: %v (context: %v)", err, ctx.Err())
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("head of a silent store took %s", took)
	}
}
