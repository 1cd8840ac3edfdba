package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrBusy is the daemon's answer to an unmount while files are open.
var ErrBusy = errors.New("the mount is busy")

// serveUnmount answers POST /unmount: 200 once the mount is going, 409
// with the reason when it is busy. Where the platform has no unmount
// command (Windows), this is how `cloudfuse unmount` asks the daemon.
func serveUnmount(unmount func() error) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if unmount == nil {
			http.Error(w, "this daemon cannot unmount on request", http.StatusNotImplemented)
			return
		}
		if err := unmount(); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// Unmount asks the daemon listening on socket to unmount its mount.
func Unmount(ctx context.Context, socket string) error {
	tr := unixTransport(socket)
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://cloudfuse/unmount", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("asking the daemon to unmount: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusConflict:
		return fmt.Errorf("%w: %s", ErrBusy, strings.TrimSpace(string(body)))
	}
	return fmt.Errorf("the daemon refused to unmount: %s: %s", resp.Status, strings.TrimSpace(string(body)))
}
