//go:build linux

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore"
)

// setupAzure creates a container on Azurite and returns a direct client
// to it and the azstorage section of a config file.
func setupAzure(t *testing.T) (storage.Backend, string) {
	v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
	endpoint, account, key := v[0], v[1], v[2]
	name := randomName("e2e-")
	ctx := context.Background()
	cred, err := container.NewSharedKeyCredential(account, key)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := container.NewClientWithSharedKeyCredential(endpoint+"/"+name, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Create(ctx, nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	t.Cleanup(func() { cl.Delete(context.Background(), nil) })
	s, err := azstore.New(ctx, azstore.Options{AccountName: account, AccountKey: key, Endpoint: endpoint,
		Container: name, Mode: azstore.ModeKey})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Backend()
	t.Cleanup(func() { b.Close() })
	section := fmt.Sprintf(`azstorage:
  type: block
  account-name: %s
  account-key: %s
  mode: key
  endpoint: %s
  container: %s
  use-http: true
`, account, key, endpoint, name)
	return b, section
}
