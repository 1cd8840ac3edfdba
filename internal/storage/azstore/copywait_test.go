package azstore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// copyService answers Copy Blob with "pending" and then reports the copy's
// state through Get Blob Properties, as the service does for copies that
// take a while. After pendingPolls polls the copy ends in final.
type copyService struct {
	mu           sync.Mutex
	pendingPolls int
	final        string
	polls        int
	aborted      bool
}

func (c *copyService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := w.Header()
	switch {
	case r.Method == http.MethodPut && r.URL.Query().Get("comp") == "copy":
		c.aborted = r.URL.Query().Get("copyid") == "copy-1"
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut && r.Header.Get("x-ms-copy-source") != "":
		if !strings.HasSuffix(r.Header.Get("x-ms-copy-source"), "/acct/cont/src") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.Set("ETag", `"0x1"`)
		h.Set("x-ms-copy-id", "copy-1")
		h.Set("x-ms-copy-status", "pending")
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodHead:
		c.polls++
		status := c.final
		if c.polls <= c.pendingPolls {
			status = "pending"
		}
		h.Set("ETag", `"0x2"`)
		h.Set("Content-Length", "42")
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		h.Set("x-ms-meta-Mode", "0644")
		h.Set("x-ms-copy-id", "copy-1")
		h.Set("x-ms-copy-status", status)
		h.Set("x-ms-copy-progress", "21/42")
		if status == "failed" {
			h.Set("x-ms-copy-status-description", "500 InternalError Copy failed.")
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

func copyStore(t *testing.T, svc http.Handler) *Store {
	t.Helper()
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	s, err := New(context.Background(), Options{
		AccountName: "acct", AccountKey: devKey, Container: "cont",
		Endpoint: srv.URL + "/acct", MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCopyWaitsForPendingCopy(t *testing.T) {
	svc := &copyService{pendingPolls: 3, final: "success"}
	s := copyStore(t, svc)
	obj, err := s.Copy(context.Background(), "src", "dst", storage.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.polls != 4 || obj.Size != 42 || obj.ETag != "0x2" || obj.Metadata["mode"] != "0644" {
		t.Fatalf("after %d polls: %+v", svc.polls, obj)
	}
}

func TestCopyReportsFailedCopy(t *testing.T) {
	s := copyStore(t, &copyService{pendingPolls: 1, final: "failed"})
	_, err := s.Copy(context.Background(), "src", "dst", storage.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "Copy failed") {
		t.Fatalf("failed copy: %v", err)
	}
}

func TestCopyCanceledAbortsCopy(t *testing.T) {
	svc := &copyService{pendingPolls: 1 << 30, final: "success"}
	s := copyStore(t, svc)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := s.Copy(ctx, "src", "dst", storage.CopyOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("canceled copy: %v", err)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if !svc.aborted {
		t.Fatal("a canceled copy was not aborted on the service")
	}
}
