package azstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"
)

// The tests run against a real blob service, normally Azurite started by
// scripts/testservers.sh, which exports these variables. Without them the
// tests skip, except under CI, where a missing server is a failure.
const (
	envEndpoint = "CLOUDFUSE_TEST_AZURE_ENDPOINT" // e.g. http://127.0.0.1:10000/devstoreaccount1
	envAccount  = "CLOUDFUSE_TEST_AZURE_ACCOUNT"
	envKey      = "CLOUDFUSE_TEST_AZURE_KEY"
)

// serverOptions returns options for the test server without a container.
func serverOptions(t testing.TB) Options {
	t.Helper()
	ep, acct, key := os.Getenv(envEndpoint), os.Getenv(envAccount), os.Getenv(envKey)
	if ep == "" || acct == "" || key == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s, %s and %s must be set under CI (run scripts/testservers.sh)", envEndpoint, envAccount, envKey)
		}
		t.Skipf("no Azure test server: set %s, %s and %s", envEndpoint, envAccount, envKey)
	}
	return Options{
		AccountName:   acct,
		AccountKey:    key,
		Mode:          ModeKey,
		Endpoint:      ep,
		MaxRetries:    2,
		RetryDelay:    50 * time.Millisecond,
		MaxRetryDelay: 200 * time.Millisecond,
	}
}

// randomName returns a container name unique to this run.
func randomName(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newServerStore creates a fresh container on the test server and a store
// on it; the container is deleted when the test ends.
func newServerStore(t testing.TB) *Store {
	t.Helper()
	o := serverOptions(t)
	o.Container = randomName("cf-test-")
	return newStoreWithContainer(t, o)
}

func newStoreWithContainer(t testing.TB, o Options) *Store {
	t.Helper()
	ctx := testCtx(t)
	s, err := New(ctx, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := s.cont.Create(ctx, nil); err != nil {
		t.Fatalf("create container %s: %v", o.Container, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := s.cont.Delete(ctx, nil); err != nil {
			t.Errorf("delete container %s: %v", o.Container, err)
		}
		_ = s.Close()
	})
	return s
}
