package health

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary prints s as one screen of text: the mount, the daemon, the
// cache, then one line per filesystem operation and per store request
// kind that happened, busiest first.
func WriteSummary(w io.Writer, s Snapshot) error {
	var b strings.Builder
	m := s.Mount
	fmt.Fprintf(&b, "%s mounted at %s\n", m.Source, m.Mountpoint)
	if m.Store != "" {
		fmt.Fprintf(&b, "  store    %s\n", m.Store)
	}
	if m.Config != "" {
		fmt.Fprintf(&b, "  config   %s\n", m.Config)
	}
	up := time.Duration(s.UptimeSeconds * float64(time.Second)).Round(time.Second)
	if p := s.Process; p != nil {
		cpuPct := 0.0
		if s.UptimeSeconds > 0 {
			cpuPct = 100 * p.CPUSeconds / s.UptimeSeconds
		}
		fmt.Fprintf(&b, "  daemon   pid %d, up %s, CPU %.2fs (%.1f%% average), RSS %s, %d threads, %d goroutines\n",
			p.PID, up, p.CPUSeconds, cpuPct, sizeText(p.RSSBytes), p.Threads, p.Goroutines)
	} else {
		fmt.Fprintf(&b, "  daemon   up %s\n", up)
	}
	fmt.Fprintf(&b, "  handles  %d open, %d passed through to the cache\n", s.OpenHandles, s.PassthroughHandles)
	switch c := s.Cache; {
	case c != nil:
		ev := "evictions not reported"
		if c.Evictions != nil {
			ev = fmt.Sprintf("%d evictions", *c.Evictions)
		}
		fmt.Fprintf(&b, "  cache    %s in %d files (%d not uploaded yet), %s; %s\n", sizeText(c.Bytes), c.Files, c.Dirty, ev, c.Dir)
	case s.CacheError != "":
		fmt.Fprintf(&b, "  cache    unreadable: %s\n", s.CacheError)
	}
	if s.DiskTier != nil {
		s.DiskTier.summary(&b)
	}
	if s.Preload != nil {
		s.Preload.summary(&b)
	}
	t := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	table(t, "filesystem", s.Fuse)
	table(t, "store", s.Store)
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// nameWidth is the width of the operation name column.
const nameWidth = 16

// table writes one section of the operation table.
func table(t *tabwriter.Writer, what string, ops map[string]OpStats) {
	tot := Total(ops)
	// Names are padded here because the table aligns numbers right.
	fmt.Fprintf(t, "\n%-*s\tcount\terrors\tbytes\tp50\tp99\tmean\t\n", nameWidth, what)
	if tot.Count == 0 {
		fmt.Fprintf(t, "%-*s\t\t\t\t\t\t\t\n", nameWidth, "  (none yet)")
		return
	}
	for _, n := range sortedOps(ops) {
		o := ops[n]
		if o.Count == 0 && o.Errors == 0 {
			continue
		}
		fmt.Fprintf(t, "%-*s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", nameWidth, "  "+n, o.Count, errText(o), bytesCol(o.Bytes),
			boundText(o.Latency.Quantile(0.5)), boundText(o.Latency.Quantile(0.99)), meanText(o))
	}
	fmt.Fprintf(t, "%-*s\t%d\t%d\t%s\t\t\t\t\n", nameWidth, "  total", tot.Count, tot.Errors, bytesCol(tot.Bytes))
}

// errText shows errors, and how many of them were "not found".
func errText(o OpStats) string {
	if o.NotFound > 0 {
		return fmt.Sprintf("%d (%d not found)", o.Errors, o.NotFound)
	}
	return fmt.Sprint(o.Errors)
}

func bytesCol(n int64) string {
	if n == 0 {
		return "-"
	}
	return sizeText(n)
}

// sizeText prints a byte count with a binary unit.
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

// boundText prints a histogram bound as "≤1ms".
func boundText(sec float64) string {
	switch {
	case sec == 0:
		return "-"
	case math.IsInf(sec, 1):
		return ">30s"
	}
	return "≤" + durText(sec)
}

func meanText(o OpStats) string {
	n := o.Latency.Count()
	if n == 0 {
		return "-"
	}
	return durText(o.Latency.SumSeconds / float64(n))
}

func durText(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
