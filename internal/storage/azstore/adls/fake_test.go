package adls

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakeDFS answers the two dfs operations the client uses the way the
// REST documentation describes them, over a set of paths in one
// filesystem, and checks the Shared Key signature of every request.
type fakeDFS struct {
	t          *testing.T
	fs         string
	namespace  string // x-ms-namespace-enabled answer
	key        *sharedKey
	contEvery  int // > 0: hand out a continuation token on directory renames
	mu         sync.Mutex
	paths      map[string]bool // path -> is a directory
	renames    int
	sawSources []string
}

func newFakeDFS(t *testing.T, fs string, paths ...string) *fakeDFS {
	k, err := newSharedKey(devAccount, devKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDFS{t: t, fs: fs, namespace: "true", key: k, paths: map[string]bool{}}
	for _, p := range paths {
		dir := strings.HasSuffix(p, "/")
		f.paths[strings.TrimSuffix(p, "/")] = dir
	}
	return f
}

func (f *fakeDFS) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("x-ms-error-code", code)
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":"fake dfs: %s"}}`, code, code)
}

func (f *fakeDFS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-ms-version") == "" || r.Header.Get("x-ms-date") == "" {
		f.fail(w, http.StatusBadRequest, "MissingRequiredHeader")
		return
	}
	if got, want := r.Header.Get("Authorization"), "SharedKey "+devAccount+":"+f.key.sign(r); got != want {
		f.fail(w, http.StatusForbidden, "AuthenticationFailed")
		return
	}
	// Path style: /<account>/<filesystem>[/<path>].
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+devAccount+"/")
	if !ok {
		f.fail(w, http.StatusBadRequest, "InvalidUri")
		return
	}
	fs, path, _ := strings.Cut(rest, "/")
	if fs != f.fs {
		f.fail(w, http.StatusNotFound, "FilesystemNotFound")
		return
	}
	switch {
	case r.Method == http.MethodHead && path == "" && r.URL.Query().Get("resource") == "filesystem":
		w.Header().Set("x-ms-namespace-enabled", f.namespace)
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodPut && r.Header.Get("x-ms-rename-source") != "":
		f.rename(w, r, path)
	default:
		f.fail(w, http.StatusBadRequest, "UnsupportedHttpVerb")
	}
}

// rename implements Path - Create with x-ms-rename-source.
func (f *fakeDFS) rename(w http.ResponseWriter, r *http.Request, dst string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw := r.Header.Get("x-ms-rename-source")
	f.sawSources = append(f.sawSources, raw)
	srcPath, _, _ := strings.Cut(raw, "?")
	src, err := url.PathUnescape(strings.TrimPrefix(srcPath, "/"+f.fs+"/"))
	if err != nil || !strings.HasPrefix(srcPath, "/"+f.fs+"/") {
		f.fail(w, http.StatusBadRequest, "InvalidSourceUri")
		return
	}
	dir, ok := f.paths[src]
	if !ok {
		f.fail(w, http.StatusNotFound, "SourcePathNotFound")
		return
	}
	f.renames++
	if dir && f.contEvery > 0 && r.URL.Query().Get("continuation") == "" {
		// First call of a directory rename: answer "more to do".
		w.Header().Set("x-ms-continuation", "token-1")
		w.WriteHeader(http.StatusCreated)
		return
	}
	var moved []string
	for p := range f.paths {
		if p == src || strings.HasPrefix(p, src+"/") {
			moved = append(moved, p)
		}
	}
	sort.Strings(moved)
	for _, p := range moved {
		isDir := f.paths[p]
		delete(f.paths, p)
		f.paths[dst+strings.TrimPrefix(p, src)] = isDir
	}
	w.WriteHeader(http.StatusCreated)
}

func (f *fakeDFS) has(p string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.paths[p]
	return ok
}
