package azstore

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore/adls"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// Azurite serves no dfs endpoint: with type adls, CheckContainer must say
// so plainly.
func TestADLSCheckOnBlobOnlyServer(t *testing.T) {
	o := serverOptions(t)
	o.Type = TypeADLS
	o.Container = randomName("cf-test-")
	s := newStoreWithContainer(t, o)
	err := s.CheckContainer(testCtx(t))
	if err == nil || !errors.Is(err, adls.ErrNoDFS) ||
		!strings.Contains(err.Error(), "account has no ADLS Gen2 (dfs) endpoint; use type: block") {
		t.Fatalf("check of type adls on a blob-only server: %v", err)
	}
}

// Rename goes to the dfs endpoint as Path - Create with
// x-ms-rename-source, signed, and answers 201; a missing source is 404.
func TestADLSRename(t *testing.T) {
	var got []string
	dfs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := r.Header.Get("x-ms-rename-source")
		auth := r.Header.Get("Authorization")
		got = append(got, r.Method+" "+r.URL.EscapedPath()+" "+src)
		switch {
		case r.Method != http.MethodPut || !strings.HasPrefix(auth, "SharedKey acct:"):
			w.WriteHeader(http.StatusBadRequest)
		case src == "/cont/dir/missing":
			w.Header().Set("x-ms-error-code", "SourcePathNotFound")
			w.WriteHeader(http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer dfs.Close()
	ctx := testCtx(t)
	s, err := New(ctx, Options{
		AccountName: "acct", AccountKey: devKey, Container: "cont", Type: TypeADLS,
		Endpoint: "http://127.0.0.1:1/acct", DFSEndpoint: dfs.URL + "/acct", MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := s.Backend().(storage.Renamer)
	if !ok {
		t.Fatal("type adls offers no Renamer")
	}
	if err := r.Rename(ctx, "dir/a", "dir/b c", false); err != nil {
		t.Fatal(err)
	}
	if err := r.Rename(ctx, "dir", "moved", true); err != nil {
		t.Fatal(err)
	}
	storagetest.RequireKind(t, r.Rename(ctx, "dir/missing", "x", false), storage.ErrNotFound)
	want := []string{
		"PUT /acct/cont/dir/b%20c /cont/dir/a",
		"PUT /acct/cont/moved /cont/dir",
		"PUT /acct/cont/x /cont/dir/missing",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
