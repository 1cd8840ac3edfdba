package azstore

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// accountSAS signs an account SAS with the test server's key, valid for d.
func accountSAS(t *testing.T, d time.Duration) string {
	t.Helper()
	o := serverOptions(t)
	cred, err := service.NewSharedKeyCredential(o.AccountName, o.AccountKey)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sas.AccountSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		ExpiryTime:    time.Now().Add(d),
		Permissions:   (&sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Create: true, Add: true}).String(),
		ResourceTypes: (&sas.AccountResourceTypes{Service: true, Container: true, Object: true}).String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

// A SAS replaced while the store runs is used from the next request on:
// a refused one fails requests, a good one makes them work again, copies
// (whose source is authorized by the SAS in its URL) included.
func TestSetCredentialsSAS(t *testing.T) {
	keyed := newServerStore(t)
	o := serverOptions(t)
	ctx := testCtx(t)
	s, err := New(ctx, Options{Endpoint: o.Endpoint, Container: keyed.cfg.Container, Mode: ModeSAS,
		SAS: accountSAS(t, time.Hour), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storagetest.MustPut(t, s, "a", []byte("first"))
	if err := s.SetCredentials("", "sv=2020-02-10&sig=bad"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Put(ctx, "b", strings.NewReader("x"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrPermission)
	if err := s.SetCredentials("", "?"+accountSAS(t, 2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	storagetest.MustPut(t, s, "b", []byte("second"))
	if _, err := s.Copy(ctx, "a", "c", storage.CopyOptions{}); err != nil {
		t.Fatalf("copy after the SAS changed: %v", err)
	}
	storagetest.MustContain(t, keyed, "c", []byte("first"))
	if err := s.SetCredentials("", ""); err == nil {
		t.Error("an empty SAS was taken")
	}
}

// An account key replaced while the store runs is used from the next
// request on; a key that is not base64 is refused and the old one stays.
func TestSetCredentialsKey(t *testing.T) {
	o := serverOptions(t)
	o.Container = randomName("cf-key-")
	o.MaxRetries = -1
	s := newStoreWithContainer(t, o)
	wrong := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 64)))
	if err := s.SetCredentials(wrong, ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(testCtx(t), "k", strings.NewReader("x"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrPermission)
	if err := s.SetCredentials(o.AccountKey, ""); err != nil {
		t.Fatal(err)
	}
	storagetest.MustPut(t, s, "k", []byte("after"))
	if err := s.SetCredentials("not*base64", ""); err == nil {
		t.Error("a bad key was taken")
	}
	storagetest.MustContain(t, s, "k", []byte("after"))
}
