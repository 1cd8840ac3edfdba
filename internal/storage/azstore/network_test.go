package azstore

import (
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// An https endpoint whose certificate comes from a private CA is trusted
// with azstorage.ca-cert-file, and refused without it.
func TestCACertFileOption(t *testing.T) {
	o := serverOptions(t)
	o.Container = randomName("cf-ca-")
	newStoreWithContainer(t, o)
	target, err := url.Parse(o.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host})
	}}
	tlsSrv := httptest.NewUnstartedServer(rp)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	o.Endpoint = tlsSrv.URL + target.Path
	o.MaxRetries = -1
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "tls", strings.NewReader("x"), storage.PutOptions{})
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: %v", err)
	}
	o.CACertFile = ca
	s, err = New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.MustPut(t, s, "tls", []byte("over TLS"))
	if got := storagetest.MustGet(t, s, "tls"); string(got) != "over TLS" {
		t.Fatalf("read back %q", got)
	}
}
