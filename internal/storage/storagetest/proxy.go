package storagetest

import (
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

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ForwardProxy starts an HTTP forward proxy on 127.0.0.1, stopped at
// cleanup, and returns its URL and the count of requests it forwarded.
func ForwardProxy(t testing.TB) (string, *atomic.Int64) {
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

// TLSFront starts an https server on 127.0.0.1 with a certificate of its
// own that forwards every request to endpoint (keeping the Host header,
// which S3 signatures cover), and returns its https URL, with endpoint's
// path, and a PEM file of its certificate to trust.
func TLSFront(t testing.TB, endpoint string) (string, string) {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host})
		pr.Out.Host = pr.In.Host
	}}
	srv := httptest.NewUnstartedServer(rp)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused by clients without the CA
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL + target.Path, ca
}

// RequireCATrust checks a store reached through TLSFront: open(caFile)
// builds one that trusts caFile besides the system's CAs ("" for none).
// Without the CA file a write must fail on the certificate; with it, a
// write and a read must work.
func RequireCATrust(t testing.TB, caFile string, open func(caFile string) (storage.Backend, error)) {
	t.Helper()
	s, err := open("")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(t.Context(), "tls", strings.NewReader("x"), storage.PutOptions{})
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: %v", err)
	}
	s, err = open(caFile)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	MustPut(t, s, "tls", []byte("over TLS"))
	if got := MustGet(t, s, "tls"); string(got) != "over TLS" {
		t.Fatalf("read back %q", got)
	}
}
