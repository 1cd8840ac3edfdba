package health

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

func TestHistogram(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{50 * time.Microsecond, 100 * time.Microsecond, 3 * time.Millisecond,
		3 * time.Millisecond, 40 * time.Second} {
		h.observe(d)
	}
	l := h.snapshot()
	if l.Count() != 5 || len(l.Buckets) != len(LatencyBounds())+1 {
		t.Fatalf("count %d buckets %d", l.Count(), len(l.Buckets))
	}
	// 50µs and exactly 100µs both fall in the first bucket (le 0.0001).
	if l.Buckets[0] != 2 || l.Buckets[5] != 2 || l.Buckets[numBuckets-1] != 1 {
		t.Fatalf("buckets %v", l.Buckets)
	}
	if got := l.Quantile(0.4); got != 0.0001 {
		t.Errorf("p40 = %v", got)
	}
	if got := l.Quantile(0.5); got != 0.005 {
		t.Errorf("p50 = %v", got)
	}
	if got := l.Quantile(1); !math.IsInf(got, 1) {
		t.Errorf("p100 = %v", got)
	}
	if want := 40.00615; math.Abs(l.SumSeconds-want) > 1e-9 {
		t.Errorf("sum %v", l.SumSeconds)
	}
	if (Latency{}).Quantile(0.5) != 0 {
		t.Error("empty histogram has a quantile")
	}
}

func TestMonitorCountsFilesystemOperations(t *testing.T) {
	m := New(Options{Mount: MountInfo{Mountpoint: "/mnt/x"}})
	for range 3 {
		m.FuseOp("open", time.Millisecond)
	}
	m.FuseError("open", syscall.ENOENT)
	m.FuseOp("create", time.Millisecond)
	m.FuseOp("release", time.Millisecond)
	m.FuseOp("read", 2*time.Millisecond)
	m.FuseBytes("read", 4096)
	m.FuseError("write", syscall.EIO)
	m.FuseOp("write", time.Millisecond)

	s := m.Snapshot()
	if o := s.Fuse["open"]; o.Count != 3 || o.Errors != 1 || o.NotFound != 1 || o.Errnos["ENOENT"] != 1 {
		t.Errorf("open %+v", o)
	}
	if o := s.Fuse["read"]; o.Count != 1 || o.Bytes != 4096 || o.Latency.Count() != 1 {
		t.Errorf("read %+v", o)
	}
	if o := s.Fuse["write"]; o.Errors != 1 || o.NotFound != 0 || o.Errnos["EIO"] != 1 {
		t.Errorf("write %+v", o)
	}
	// 2 good opens + 1 create - 1 release.
	if s.OpenHandles != 2 {
		t.Errorf("open handles %d", s.OpenHandles)
	}
	if s.Process == nil || s.Process.PID != os.Getpid() || s.Process.RSSBytes <= 0 || s.Process.Threads <= 0 {
		t.Errorf("process %+v", s.Process)
	}
	if tot := Total(s.Fuse); tot.Count != 7 || tot.Errors != 2 {
		t.Errorf("total %+v", tot)
	}
	prev := s.Fuse
	m.FuseOp("read", time.Millisecond)
	if d := Sub(m.Snapshot().Fuse, prev); len(d) != 1 || d["read"].Count != 1 || d["read"].Latency.Count() != 1 {
		t.Errorf("delta %+v", d)
	}
}

func TestMonitorStoreIsAConformingBackend(t *testing.T) {
	m := New(Options{})
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return m.Store(memstore.New(memstore.Options{MinPartSize: 64 << 10}))
	})
}

func TestMonitorCountsStoreRequests(t *testing.T) {
	m := New(Options{})
	b := m.Store(memstore.New(memstore.Options{MinPartSize: 4}))
	storagetest.MustPut(t, b, "a", []byte("hello"))
	storagetest.MustContain(t, b, "a", []byte("hello"))
	b.Head(t.Context(), "missing")
	storagetest.MustUpload(t, b, "mp", [][]byte{[]byte("1234"), []byte("56")}, storage.PutOptions{})

	s := m.Snapshot().Store
	check := func(op string, count, errs, notFound, bytes int64) {
		t.Helper()
		o := s[op]
		if o.Count != count || o.Errors != errs || o.NotFound != notFound || o.Bytes != bytes || o.Latency.Count() != count {
			t.Errorf("%s: %+v (latency count %d), want %d/%d/%d/%d", op, o, o.Latency.Count(), count, errs, notFound, bytes)
		}
	}
	check("put", 1, 0, 0, 5)
	check("get", 1, 0, 0, 5)
	check("head", 1, 1, 1, 0)
	check("create_upload", 1, 0, 0, 0)
	check("write_part", 2, 0, 0, 6)
	check("complete", 1, 0, 0, 0)
	if _, ok := s["copy"]; ok {
		t.Error("an op that never ran is listed")
	}
}

func TestPrometheusText(t *testing.T) {
	ev := int64(4)
	m := New(Options{Mount: MountInfo{Mountpoint: `/mnt/a "b"`, Source: "cloudfuse:b", Version: "v1"},
		Cache: func() (Cache, error) { return Cache{Bytes: 10, Files: 1, Evictions: &ev}, nil }})
	m.FuseOp("read", 3*time.Millisecond)
	m.FuseOp("read", 300*time.Millisecond)
	m.FuseBytes("read", 100)
	b := m.Store(memstore.New(memstore.Options{}))
	storagetest.MustPut(t, b, "k", []byte("x"))

	var buf bytes.Buffer
	if err := WritePrometheus(&buf, m.Snapshot()); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			if !strings.HasPrefix(line, "# HELP ") && !strings.HasPrefix(line, "# TYPE ") {
				t.Errorf("bad comment %q", line)
			}
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		samples[line[:i]] = v
	}
	mp := `mountpoint="/mnt/a \"b\""`
	for name, want := range map[string]float64{
		`cloudfuse_fuse_operations_total{` + mp + `,op="read"}`:                             2,
		`cloudfuse_fuse_bytes_total{` + mp + `,op="read"}`:                                  100,
		`cloudfuse_fuse_operation_duration_seconds_bucket{` + mp + `,op="read",le="0.001"}`: 0,
		`cloudfuse_fuse_operation_duration_seconds_bucket{` + mp + `,op="read",le="0.005"}`: 1,
		`cloudfuse_fuse_operation_duration_seconds_bucket{` + mp + `,op="read",le="0.5"}`:   2,
		`cloudfuse_fuse_operation_duration_seconds_bucket{` + mp + `,op="read",le="+Inf"}`:  2,
		`cloudfuse_fuse_operation_duration_seconds_count{` + mp + `,op="read"}`:             2,
		`cloudfuse_store_requests_total{` + mp + `,op="put"}`:                               1,
		`cloudfuse_store_bytes_total{` + mp + `,op="put"}`:                                  1,
		`cloudfuse_store_request_duration_seconds_count{` + mp + `,op="put"}`:               1,
		`cloudfuse_open_handles{` + mp + `}`:                                                0,
		`cloudfuse_cache_bytes{` + mp + `}`:                                                 10,
		`cloudfuse_cache_evictions_total{` + mp + `}`:                                       4,
		`cloudfuse_info{` + mp + `,version="v1",source="cloudfuse:b",store="",config=""}`:   1,
	} {
		if got, ok := samples[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if samples["process_resident_memory_bytes"] <= 0 {
		t.Errorf("no RSS in\n%s", text)
	}
}

func TestServeAndFetchOverUnixSocket(t *testing.T) {
	m := New(Options{Mount: MountInfo{Mountpoint: "/mnt/x", Source: "cloudfuse:b"}})
	m.FuseOp("mkdir", time.Millisecond)
	sock := filepath.Join(t.TempDir(), "h.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := Serve(ln, m, nil)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := Fetch(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mount.Mountpoint != "/mnt/x" || s.Fuse["mkdir"].Count != 1 || len(s.LatencyBounds) != numBuckets-1 {
		t.Fatalf("fetched %+v", s)
	}
	if _, err := Fetch(ctx, filepath.Join(t.TempDir(), "none.sock")); err == nil {
		t.Fatal("fetch from a missing socket succeeded")
	}
}

func TestSummary(t *testing.T) {
	m := New(Options{Mount: MountInfo{Mountpoint: "/mnt/x", Source: "cloudfuse:b", Store: "s3 bucket b", Config: "/etc/c.yaml"},
		Cache: func() (Cache, error) { return Cache{Dir: "/c", Bytes: 3 << 20, Files: 2, Dirty: 1}, nil }})
	for range 12 {
		m.FuseOp("lookup", 200*time.Microsecond)
	}
	m.FuseError("lookup", syscall.ENOENT)
	m.FuseOp("write", 2*time.Millisecond)
	m.FuseBytes("write", 2048)
	var buf bytes.Buffer
	if err := WriteSummary(&buf, m.Snapshot()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"cloudfuse:b mounted at /mnt/x", "s3 bucket b", "/etc/c.yaml", "handles  0 open",
		"3.0 MiB in 2 files (1 not uploaded yet)", "evictions not reported", "1 (1 not found)", "2.0 KiB", "≤250µs",
		"(none yet)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if lines := strings.Count(out, "\n"); lines > 40 {
		t.Errorf("summary is %d lines", lines)
	}
	if i, j := strings.Index(out, "lookup"), strings.Index(out, "write"); i < 0 || j < i {
		t.Errorf("busiest op not first:\n%s", out)
	}
}

func TestRotatingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	r, err := OpenRotating(path, 10, 3, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "0123456789abcdef\n"} {
		if _, err := r.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	read := func(name string) string {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		return string(data)
	}
	// A write larger than the limit goes whole into a fresh file.
	if read("log") != "0123456789abcdef\n" || read("log.1") != "eeee\n" || read("log.2") != "cccc\ndddd\n" {
		t.Fatalf("log %q log.1 %q log.2 %q", read("log"), read("log.1"), read("log.2"))
	}
	if _, err := os.Stat(filepath.Join(dir, "log.3")); !os.IsNotExist(err) {
		t.Fatal("more files than keep")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	// Reopening appends and counts the existing size.
	r, _ = OpenRotating(path, 20, 1, 0o600)
	r.Write([]byte("x\n"))
	r.Write([]byte("y\n"))
	r.Close()
	if read("log") != "y\n" {
		t.Fatalf("keep 1 should truncate: %q", read("log"))
	}
}

func TestRecorderWritesJSONLines(t *testing.T) {
	m := New(Options{Mount: MountInfo{Mountpoint: "/mnt/x"},
		Cache: func() (Cache, error) { return Cache{Files: 1}, nil }})
	m.FuseOp("getattr", time.Millisecond)
	dir := t.TempDir()
	r, err := m.StartRecorder(RecorderOptions{Dir: dir, StatsEvery: 20 * time.Millisecond,
		ProcessEvery: 30 * time.Millisecond, Disable: []string{"memory_profiler", "file_cache_monitor"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	m.FuseOp("getattr", time.Millisecond)
	r.Stop()
	if r.Path != filepath.Join(dir, "monitor_"+strconv.Itoa(os.Getpid())+".jsonl") {
		t.Errorf("path %s", r.Path)
	}
	data, err := os.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	var stats, procs int
	var last Line
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var l Line
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		switch l.Kind {
		case "stats":
			stats++
			if l.Cache != nil || l.Handles == nil {
				t.Errorf("stats line %q", line)
			}
			last = l
		case "process":
			procs++
			if l.RSSBytes != nil || l.CPUSeconds == nil {
				t.Errorf("process line %q", line)
			}
		}
	}
	if stats < 3 || procs < 2 {
		t.Errorf("%d stats and %d process lines:\n%s", stats, procs, data)
	}
	if last.Fuse["getattr"].Count != 2 {
		t.Errorf("last line, written at stop, has %+v", last.Fuse)
	}
}

// With Compress, rotated files are gzipped to log.N.gz and hold the lines
// rotated out, oldest in the highest number.
func TestRotatingFileCompresses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	r, err := OpenRotating(path, 10, 3, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r.Compress()
	for _, s := range []string{"aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n", "gggg\n"} {
		if _, err := r.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	gunzip := func(name string) string {
		t.Helper()
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(data)
	}
	if got, _ := os.ReadFile(path); string(got) != "gggg\n" {
		t.Errorf("log %q", got)
	}
	if a, b := gunzip("log.1.gz"), gunzip("log.2.gz"); a != "eeee\nffff\n" || b != "cccc\ndddd\n" {
		t.Errorf("log.1.gz %q log.2.gz %q", a, b)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "log*"))
	if len(names) != 3 {
		t.Errorf("files %v, want log, log.1.gz and log.2.gz", names)
	}
}

// A preload and the disk tier show in every format: the text summary,
// the Prometheus text and the JSON snapshot.
func TestPreloadAndDiskTierInEveryFormat(t *testing.T) {
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := New(Options{
		Preload: func() (Preload, bool) {
			return Preload{Dir: "data", Running: true, Started: started, Listed: true, Files: 40, FilesDone: 10,
				Bytes: 40 << 20, BytesDone: 10 << 20, BytesPerSec: 5 << 20, ETASeconds: 6}, true
		},
		DiskTier: func() (DiskTier, bool) {
			return DiskTier{Dir: "/c/blocks", Blocks: 3, Bytes: 3 << 20, MaxBytes: 1 << 30, Hits: 7, Corrupt: 1}, true
		},
	})
	s := m.Snapshot()
	var text, prom strings.Builder
	if err := WriteSummary(&text, s); err != nil {
		t.Fatal(err)
	}
	if err := WritePrometheus(&prom, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"preload  /data running: 10/40 files, 10.0 MiB/40.0 MiB (25%)", "ETA 6s",
		"disk     3.0 MiB in 3 blocks", "7 hits", "1 corrupt"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{`cloudfuse_preload_files_done{dir="/data"} 10`,
		"cloudfuse_disk_tier_hits_total 7", "cloudfuse_disk_tier_corrupt_total 1"} {
		if !strings.Contains(prom.String(), want) {
			t.Errorf("Prometheus text lacks %q:\n%s", want, prom.String())
		}
	}
	data, _ := json.Marshal(s)
	if !strings.Contains(string(data), `"files_done":10`) || !strings.Contains(string(data), `"corrupt":1`) {
		t.Errorf("JSON: %s", data)
	}
}
