package netopt

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProxyPerScheme(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:7001")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:7002")
	t.Setenv("http_proxy", "")
	t.Setenv("https_proxy", "")
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	for _, c := range []struct{ httpP, httpsP, url, want string }{
		{"", "", "http://store.test:9000/b", "127.0.0.1:7001"},
		{"", "", "https://store.test/b", "127.0.0.1:7002"},
		{"127.0.0.1:8001", "", "http://127.0.0.1:9000/b", "127.0.0.1:8001"},
		{"127.0.0.1:8001", "", "https://store.test/b", "127.0.0.1:7002"},
		{"", "http://127.0.0.1:8002", "https://store.test/b", "127.0.0.1:8002"},
	} {
		f, err := Proxy(c.httpP, c.httpsP)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("GET", c.url, nil)
		u, err := f(r)
		if err != nil || u == nil || u.Host != c.want {
			t.Errorf("%+v: proxy %v %v", c, u, err)
		}
	}
	if _, err := Proxy("http://", ""); err == nil || !strings.Contains(err.Error(), `proxy "http://" is not a URL`) {
		t.Errorf("bad proxy: %v", err)
	}
}

// A server's self-signed certificate is trusted once its PEM file is
// given, and only then.
func TestRootCAs(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "ca.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	get := func(cas string) error {
		pool, err := RootCAs(cas)
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(""); err == nil {
		t.Error("the test server's certificate was trusted without its CA file")
	}
	if err := get(file); err != nil {
		t.Errorf("with the CA file: %v", err)
	}
	os.WriteFile(file, []byte("not a certificate"), 0o600)
	if _, err := RootCAs(file); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("bad file: %v", err)
	}
	if _, err := RootCAs(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}
