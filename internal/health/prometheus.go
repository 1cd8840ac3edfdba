package health

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// WritePrometheus writes s in the Prometheus text exposition format
// (version 0.0.4). Every cloudfuse_ metric carries a mountpoint label so
// several mounts can be scraped into one place.
func WritePrometheus(w io.Writer, s Snapshot) error {
	bw := bufio.NewWriter(w)
	p := &promWriter{w: bw, mount: s.Mount.Mountpoint}

	p.header("cloudfuse_info", "gauge", "Always 1; the labels describe the mount.")
	p.sample("cloudfuse_info", labels{{"version", s.Mount.Version}, {"source", s.Mount.Source},
		{"store", s.Mount.Store}, {"config", s.Mount.Config}}, 1)
	p.header("cloudfuse_uptime_seconds", "gauge", "Seconds since the mount started.")
	p.sample("cloudfuse_uptime_seconds", nil, s.UptimeSeconds)

	p.ops("cloudfuse_fuse_operations_total", "cloudfuse_fuse_errors_total", "cloudfuse_fuse_not_found_total",
		"cloudfuse_fuse_bytes_total", "cloudfuse_fuse_operation_duration_seconds", "Filesystem operations", s.Fuse)
	p.ops("cloudfuse_store_requests_total", "cloudfuse_store_errors_total", "cloudfuse_store_not_found_total",
		"cloudfuse_store_bytes_total", "cloudfuse_store_request_duration_seconds", "Store requests", s.Store)

	p.header("cloudfuse_open_handles", "gauge", "Open file handles.")
	p.sample("cloudfuse_open_handles", nil, float64(s.OpenHandles))
	p.header("cloudfuse_passthrough_handles", "gauge", "Open file handles the kernel reads from the local copy without the daemon.")
	p.sample("cloudfuse_passthrough_handles", nil, float64(s.PassthroughHandles))
	if c := s.Cache; c != nil {
		p.header("cloudfuse_cache_bytes", "gauge", "Bytes of file data in the file cache.")
		p.sample("cloudfuse_cache_bytes", nil, float64(c.Bytes))
		p.header("cloudfuse_cache_files", "gauge", "Files in the file cache.")
		p.sample("cloudfuse_cache_files", nil, float64(c.Files))
		p.header("cloudfuse_cache_dirty_files", "gauge", "Cached files with changes not yet uploaded.")
		p.sample("cloudfuse_cache_dirty_files", nil, float64(c.Dirty))
		if c.Evictions != nil {
			p.header("cloudfuse_cache_evictions_total", "counter", "Cached copies evicted.")
			p.sample("cloudfuse_cache_evictions_total", nil, float64(*c.Evictions))
		}
	}
	if s.Preload != nil {
		s.Preload.prometheus(p)
	}
	if s.DiskTier != nil {
		s.DiskTier.prometheus(p)
	}
	if pr := s.Process; pr != nil {
		// The standard process metrics, without the mount label.
		p.mount = ""
		p.header("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
		p.sample("process_cpu_seconds_total", nil, pr.CPUSeconds)
		p.header("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
		p.sample("process_resident_memory_bytes", nil, float64(pr.RSSBytes))
		p.header("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
		p.sample("process_start_time_seconds", nil, float64(s.Mount.Started.UnixNano())/1e9)
		p.header("go_goroutines", "gauge", "Number of goroutines that currently exist.")
		p.sample("go_goroutines", nil, float64(pr.Goroutines))
		p.header("go_threads", "gauge", "Number of OS threads created.")
		p.sample("go_threads", nil, float64(pr.Threads))
	}
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

type label struct{ name, value string }
type labels []label

type promWriter struct {
	w     *bufio.Writer
	mount string
	err   error
}

func (p *promWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *promWriter) header(name, typ, help string) {
	p.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (p *promWriter) sample(name string, ls labels, v float64) {
	if p.mount != "" {
		ls = append(labels{{"mountpoint", p.mount}}, ls...)
	}
	var b strings.Builder
	b.WriteString(name)
	if len(ls) > 0 {
		b.WriteByte('{')
		for i, l := range ls {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.name)
			b.WriteString(`="`)
			b.WriteString(escapeLabel(l.value))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	p.printf("%s %s\n", b.String(), formatFloat(v))
}

// ops writes the counters and latency histogram of a set of operations.
func (p *promWriter) ops(total, errs, notFound, bytes, hist, what string, ops map[string]OpStats) {
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Strings(names)
	p.header(total, "counter", what+" finished, by operation.")
	for _, n := range names {
		p.sample(total, labels{{"op", n}}, float64(ops[n].Count))
	}
	p.header(errs, "counter", what+" that failed, by operation.")
	for _, n := range names {
		p.sample(errs, labels{{"op", n}}, float64(ops[n].Errors))
	}
	p.header(notFound, "counter", what+" that failed because the name does not exist, by operation.")
	for _, n := range names {
		p.sample(notFound, labels{{"op", n}}, float64(ops[n].NotFound))
	}
	p.header(bytes, "counter", what+": bytes of data moved, by operation.")
	for _, n := range names {
		if ops[n].Bytes > 0 {
			p.sample(bytes, labels{{"op", n}}, float64(ops[n].Bytes))
		}
	}
	p.header(hist, "histogram", what+": latency in seconds, by operation.")
	bounds := LatencyBounds()
	for _, n := range names {
		l := ops[n].Latency
		var cum int64
		for i, c := range l.Buckets {
			cum += c
			le := "+Inf"
			if i < len(bounds) {
				le = formatFloat(bounds[i])
			}
			p.sample(hist+"_bucket", labels{{"op", n}, {"le", le}}, float64(cum))
		}
		p.sample(hist+"_sum", labels{{"op", n}}, l.SumSeconds)
		p.sample(hist+"_count", labels{{"op", n}}, float64(cum))
	}
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
