//go:build linux

package e2e

// Store options users set on a real mount: a proxy, the content type of
// new objects.

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/s3store"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// A mount given --http-proxy sends its requests through the proxy, and the
// objects it writes get their extension's content type (set-content-type,
// on by default), a rename taking the new name's.
func TestProxyAndContentTypeOnAMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			proxy, count := storagetest.ForwardProxy(t)
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

// A mount with an SSE-C key on a TLS endpoint of a private CA, and no
// region: the region is found from the bucket, files written through the
// mount read back after a remount, and the stored objects cannot be read
// without the key.
func TestCustomerKeyMount(t *testing.T) {
	_, key, secret := s3Env(t)
	srv := storagetest.StartSecureMinIO(t, key, secret)
	ctx := t.Context()
	ckey := bytes.Repeat([]byte{0x5a}, 32)
	b, err := s3store.New(ctx, s3store.Options{Bucket: randomName("e2e-"), Endpoint: srv.Endpoint,
		Region: storagetest.SecureRegion, UsePathStyle: true, AccessKeyID: key, SecretAccessKey: secret,
		CACertFile: srv.CAFile, SSECustomerKey: ckey})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pem, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cl := s3.New(s3.Options{Region: storagetest.SecureRegion, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}})
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.Bucket())}); err != nil {
		t.Fatal(err)
	}
	section := fmt.Sprintf(`s3storage:
  bucket-name: %s
  key-id: %s
  secret-key: %s
  endpoint: %s
  use-path-style: true
  ca-cert-file: %s
  sse-customer-key: %s
`, b.Bucket(), key, secret, srv.Endpoint, srv.CAFile, base64.StdEncoding.EncodeToString(ckey))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	m := mountWith(t, b, section, mountOpts{})
	data := bytes.Repeat([]byte("secret data "), 1<<20) // 12 MiB: a multipart upload
	if err := os.WriteFile(m.path("enc.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m.remount()
	got, err := os.ReadFile(m.path("enc.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if log, _ := os.ReadFile(m.Log); !bytes.Contains(log, []byte("region="+storagetest.SecureRegion)) {
		t.Error("the log does not say which region was found")
	}
	plain, err := s3store.New(ctx, s3store.Options{Bucket: b.Bucket(), Endpoint: srv.Endpoint,
		Region: storagetest.SecureRegion, UsePathStyle: true, AccessKeyID: key, SecretAccessKey: secret, CACertFile: srv.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, _, err := plain.Get(ctx, "enc.bin", storage.GetOptions{Length: -1}); err == nil {
		t.Error("the object was read without the key")
	}
}

// A mount with an Azure customer-provided key writes, renames (a copy
// through the daemon, since a server-side copy cannot use the key) and
// reads back across a remount. The emulator does not encrypt; the
// requests' keys are checked in the store's tests.
func TestAzureCustomerKeyMount(t *testing.T) {
	b, section := setupAzure(t)
	key := bytes.Repeat([]byte{0x21}, 32)
	sum := sha256.Sum256(key)
	extra := fmt.Sprintf("  cpk-enabled: true\n  cpk-encryption-key: %s\n  cpk-encryption-key-sha256: %s\n",
		base64.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(sum[:]))
	m := mountWith(t, b, section, mountOpts{extraYAML: extra})
	data := bytes.Repeat([]byte("cpk "), 5<<20) // 20 MiB: more than one block
	if err := os.WriteFile(m.path("a.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(m.path("a.bin"), m.path("b.bin")); err != nil {
		t.Fatal(err)
	}
	m.remount()
	got, err := os.ReadFile(m.path("b.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes: %v", len(got), err)
	}
	if _, err := os.Stat(m.path("a.bin")); !os.IsNotExist(err) {
		t.Errorf("the old name is still there: %v", err)
	}
}
