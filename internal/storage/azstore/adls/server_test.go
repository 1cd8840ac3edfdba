package adls

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// The blob test server (Azurite) checks Shared Key signatures, so a
// blob-API request sent through our signer shows that the signer is right
// on a real service. Without the server the test skips, except under CI.
func TestSharedKeyAcceptedByServer(t *testing.T) {
	ep, acct, key := os.Getenv("CLOUDFUSE_TEST_AZURE_ENDPOINT"), os.Getenv("CLOUDFUSE_TEST_AZURE_ACCOUNT"), os.Getenv("CLOUDFUSE_TEST_AZURE_KEY")
	if ep == "" || acct == "" || key == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CLOUDFUSE_TEST_AZURE_* must be set under CI (run scripts/testservers.sh)")
		}
		t.Skip("no Azure test server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "cf-sig-" + hex.EncodeToString(b[:])
	cred, err := container.NewSharedKeyCredential(acct, key)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := container.NewClientWithSharedKeyCredential(ep+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = cc.Delete(context.Background(), nil) }()

	for _, c := range []struct {
		key  string
		want int
	}{{key, http.StatusOK}, {"d3Jvbmcga2V5", http.StatusForbidden}} {
		cl := newTestClient(t, ep, name, Options{AccountName: acct, AccountKey: c.key})
		req, err := cl.newRequest(ctx, http.MethodHead, "", url.Values{"restype": {"container"}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cl.pl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("container properties with our signature: %d, want %d", resp.StatusCode, c.want)
		}
	}
}
