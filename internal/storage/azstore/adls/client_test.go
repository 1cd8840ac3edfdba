package adls

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

func newTestClient(t *testing.T, endpoint, fs string, o Options) *Client {
	t.Helper()
	o.Endpoint = endpoint
	o.Filesystem = fs
	if o.AccountName == "" && o.SAS == nil {
		o.AccountName, o.AccountKey = devAccount, devKey
	}
	o.ClientOptions = azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond}}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func serve(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/" + devAccount
}

func TestRenameFile(t *testing.T) {
	f := newFakeDFS(t, "fs", "dir/", "dir/a b+c.txt", "other")
	c := newTestClient(t, serve(t, f), "fs", Options{})
	ctx := context.Background()
	if err := c.Rename(ctx, "dir/a b+c.txt", "dir/ü new.txt"); err != nil {
		t.Fatal(err)
	}
	if f.has("dir/a b+c.txt") || !f.has("dir/ü new.txt") {
		t.Fatalf("paths after rename: %v", f.paths)
	}
	if got := f.sawSources[0]; got != "/fs/dir/a%20b+c.txt" {
		t.Errorf("x-ms-rename-source %q is not the percent-encoded /filesystem/path", got)
	}
	err := c.Rename(ctx, "dir/missing", "dir/x")
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), "SourcePathNotFound") {
		t.Fatalf("rename of a missing source: %v", err)
	}
}

func TestRenameDirectoryFollowsContinuation(t *testing.T) {
	f := newFakeDFS(t, "fs", "d/", "d/x", "d/sub/", "d/sub/y", "dx")
	f.contEvery = 1
	c := newTestClient(t, serve(t, f), "fs", Options{})
	if err := c.Rename(context.Background(), "d", "e"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"e", "e/x", "e/sub", "e/sub/y", "dx"} {
		if !f.has(p) {
			t.Errorf("%s missing after directory rename: %v", p, f.paths)
		}
	}
	if f.has("d") || f.has("d/x") || f.renames != 2 {
		t.Errorf("after rename: %v, %d calls", f.paths, f.renames)
	}
}

func TestRenameErrors(t *testing.T) {
	f := newFakeDFS(t, "fs", "a")
	ep := serve(t, f)
	ctx := context.Background()
	err := newTestClient(t, ep, "nofs", Options{}).Rename(ctx, "a", "b")
	if !errors.Is(err, storage.ErrNoBucket) {
		t.Errorf("rename in a missing filesystem: %v", err)
	}
	bad := newTestClient(t, ep, "fs", Options{AccountName: devAccount, AccountKey: "d3Jvbmcga2V5"})
	if err := bad.Rename(ctx, "a", "b"); !errors.Is(err, storage.ErrPermission) {
		t.Errorf("rename with a wrong key: %v", err)
	}
	if !f.has("a") {
		t.Error("a failed rename moved the source")
	}
}

func TestRenameWithSASAddsTokenToSource(t *testing.T) {
	var src, query string
	ep := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src, query = r.Header.Get("x-ms-rename-source"), r.URL.RawQuery
		if r.Header.Get("Authorization") != "" {
			t.Error("a SAS request carries an Authorization header")
		}
		w.WriteHeader(http.StatusCreated)
	}))
	sas, err := url.ParseQuery("sv=2023-11-03&sig=abc%2B")
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, ep, "fs", Options{SAS: func() url.Values { return sas }})
	if err := c.Rename(context.Background(), "a", "b"); err != nil {
		t.Fatal(err)
	}
	if src != "/fs/a?sig=abc%2B&sv=2023-11-03" || !strings.Contains(query, "sig=abc%2B") {
		t.Fatalf("source %q, query %q", src, query)
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	f := newFakeDFS(t, "fs")
	ep := serve(t, f)
	if err := newTestClient(t, ep, "fs", Options{}).Probe(ctx); err != nil {
		t.Fatalf("probe of an ADLS filesystem: %v", err)
	}
	if err := newTestClient(t, ep, "nofs", Options{}).Probe(ctx); !errors.Is(err, storage.ErrNoBucket) {
		t.Fatalf("probe of a missing filesystem: %v", err)
	}
	bad := newTestClient(t, ep, "fs", Options{AccountName: devAccount, AccountKey: "d3Jvbmcga2V5"})
	if err := bad.Probe(ctx); !errors.Is(err, storage.ErrPermission) {
		t.Fatalf("probe with a wrong key: %v", err)
	}
	f.namespace = "false"
	if err := newTestClient(t, ep, "fs", Options{}).Probe(ctx); !errors.Is(err, ErrNoHNS) {
		t.Fatalf("probe without a namespace: %v", err)
	}

	// A blob-only endpoint answers the filesystem HEAD with something else.
	blobOnly := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-error-code", "InvalidQueryParameterValue")
		w.WriteHeader(http.StatusBadRequest)
	}))
	err := newTestClient(t, blobOnly, "fs", Options{}).Probe(ctx)
	if !errors.Is(err, ErrNoDFS) || !strings.Contains(err.Error(), "account has no ADLS Gen2 (dfs) endpoint; use type: block") {
		t.Fatalf("probe of a blob-only endpoint: %v", err)
	}
	// Nothing listening at all.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if err := newTestClient(t, dead.URL, "fs", Options{}).Probe(ctx); !errors.Is(err, ErrNoDFS) {
		t.Fatalf("probe of a closed port: %v", err)
	}
}
