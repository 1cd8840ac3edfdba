package health

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Preload is the progress of a mount's preload (cloudfuse preload,
// --preload): files and bytes loaded into the file cache of those listed.
type Preload struct {
	Dir     string    `json:"dir"` // "" for the whole mount
	Running bool      `json:"running"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	// Listed says every file is counted; until then the totals grow.
	Listed      bool    `json:"listed"`
	Files       int64   `json:"files"`
	FilesDone   int64   `json:"files_done"`
	FilesCached int64   `json:"files_already_cached"`
	Bytes       int64   `json:"bytes"`
	BytesDone   int64   `json:"bytes_done"`
	BytesPerSec float64 `json:"bytes_per_second"`
	ETASeconds  float64 `json:"eta_seconds"` // -1 when unknown
	Error       string  `json:"error,omitempty"`
}

// PreloadRequest asks a daemon to preload a directory of its mount.
type PreloadRequest struct {
	Dir     string `json:"dir"`               // relative to the mount root
	Workers int    `json:"workers,omitempty"` // 0: the mount's default
}

// State is a one-word state of the preload.
func (p Preload) State() string {
	switch {
	case p.Running:
		return "running"
	case p.Error != "":
		return "stopped"
	}
	return "finished"
}

// Line is a one-line account of the progress: files, bytes, rate, ETA.
func (p Preload) Line() string {
	of := func(n int64) string {
		if p.Listed {
			return fmt.Sprint(n)
		}
		return fmt.Sprintf("%d+", n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s files, %s/%s", fmt.Sprint(p.FilesDone), of(p.Files), sizeText(p.BytesDone), sizeText(p.Bytes))
	if p.Bytes > 0 && p.Listed {
		fmt.Fprintf(&b, " (%.0f%%)", 100*float64(p.BytesDone)/float64(p.Bytes))
	}
	fmt.Fprintf(&b, ", %s/s", sizeText(int64(p.BytesPerSec)))
	if p.FilesCached > 0 {
		fmt.Fprintf(&b, ", %d already cached", p.FilesCached)
	}
	if p.Running && p.ETASeconds >= 0 {
		fmt.Fprintf(&b, ", ETA %s", (time.Duration(p.ETASeconds) * time.Second).String())
	}
	return b.String()
}

func (p Preload) summary(b *strings.Builder) {
	dir := "/" + p.Dir
	fmt.Fprintf(b, "  preload  %s %s: %s\n", dir, p.State(), p.Line())
	if p.Error != "" {
		fmt.Fprintf(b, "           %s\n", p.Error)
	}
}

func (p Preload) prometheus(w *promWriter) {
	l := labels{{"dir", "/" + p.Dir}}
	gauge := func(name, help string, v float64) {
		w.header(name, "gauge", help)
		w.sample(name, l, v)
	}
	running := 0.0
	if p.Running {
		running = 1
	}
	gauge("cloudfuse_preload_running", "1 while a preload runs.", running)
	gauge("cloudfuse_preload_files", "Files the preload lists.", float64(p.Files))
	gauge("cloudfuse_preload_files_done", "Files the preload has loaded or found cached.", float64(p.FilesDone))
	gauge("cloudfuse_preload_bytes", "Bytes the preload lists.", float64(p.Bytes))
	gauge("cloudfuse_preload_bytes_done", "Bytes the preload has loaded or found cached.", float64(p.BytesDone))
}

// StartPreload asks the daemon listening on socket to preload r.Dir.
func StartPreload(ctx context.Context, socket string, r PreloadRequest) error {
	body, err := json.Marshal(r)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://cloudfuse/preload", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	tr := unixTransport(socket)
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("preload refused: %s", strings.TrimSpace(string(msg)))
	}
	return nil
}

// servePreload answers POST /preload with 202 once the preload started.
func servePreload(start func(PreloadRequest) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if start == nil {
			http.Error(w, "this mount cannot preload", http.StatusConflict)
			return
		}
		var pr PreloadRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pr); err != nil {
			http.Error(w, "bad preload request: "+err.Error(), http.StatusBadRequest)
			return
		}
		if pr.Workers < 0 {
			http.Error(w, "workers must be positive", http.StatusBadRequest)
			return
		}
		if err := start(pr); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}
}
