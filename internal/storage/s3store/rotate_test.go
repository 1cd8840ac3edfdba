package s3store

import (
	"errors"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// Keys replaced while the store runs sign the next requests.
func TestSetCredentials(t *testing.T) {
	opts := serverOptions(t)
	opts.Bucket = newTestStore(t).bucket
	opts.MaxRetries = -1
	s := mustNew(t, opts)
	storagetest.MustPut(t, s, "a", []byte("first"))
	if err := s.SetCredentials(opts.AccessKeyID, "wrong-secret", ""); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(t.Context(), "b", strings.NewReader("x"), storage.PutOptions{})
	if !errors.Is(err, storage.ErrPermission) {
		t.Fatalf("put with a wrong secret: %v", err)
	}
	if err := s.SetCredentials(opts.AccessKeyID, opts.SecretAccessKey, ""); err != nil {
		t.Fatal(err)
	}
	storagetest.MustPut(t, s, "b", []byte("second"))
	if err := s.SetCredentials("", "x", ""); err == nil {
		t.Error("half a key pair was taken")
	}

	chain := opts
	chain.AccessKeyID, chain.SecretAccessKey = "", ""
	cs := mustNew(t, chain)
	if err := cs.SetCredentials("a", "b", ""); err == nil || !strings.Contains(err.Error(), "chain") {
		t.Errorf("a store on the SDK's chain: %v", err)
	}
}
