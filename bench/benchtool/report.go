package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// baselinesFor names the raw-SDK operations a mount workload is compared
// with; the fastest of them that ran is the baseline. A sequential read is
// compared with the better of one GET stream and parallel ranged GETs:
// what the server can deliver to one client either way.
func baselinesFor(workload string) []string {
	switch workload {
	case "seq-read-1", "seq-read-4":
		return []string{"get-stream", "get-ranged"}
	case "rand-read-4k":
		return []string{"get-rand-4k"}
	case "rand-read-256k":
		return []string{"get-rand-256k"}
	case "seq-write":
		return []string{"put-multipart"}
	case "create-small":
		return []string{"put-small"}
	case "read-small":
		return []string{"get-small"}
	case "ls-l", "ls-f":
		return []string{"list"}
	case "stat":
		return []string{"head"}
	case "delete-small":
		return []string{"delete-small"}
	case "find-tree":
		return []string{"list-tree"}
	case "cp-tree-out":
		return []string{"get-tree"}
	case "cp-tree-in":
		return []string{"put-tree"}
	}
	return nil
}

// baselinesForAll is the set of SDK operations the named workloads
// (space- or comma-separated) are compared with, and those they need run
// first: reading and deleting small files need them created. Nil when no
// workload is named.
func baselinesForAll(workloads string) map[string]bool {
	ws := strings.FieldsFunc(workloads, isListSep)
	if len(ws) == 0 {
		return nil
	}
	ops := map[string]bool{}
	for _, w := range ws {
		for _, op := range baselinesFor(w) {
			ops[op] = true
		}
	}
	if ops["get-small"] || ops["delete-small"] {
		ops["put-small"] = true
	}
	return ops
}

func isListSep(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }

// baseline returns the fastest SDK result among names.
func baseline(sdk map[string]result, names []string) (result, bool) {
	var best result
	found := false
	for _, n := range names {
		if r, ok := sdk[n]; ok && r.rate() > 0 && (!found || r.rate() > best.rate()) {
			best, found = r, true
		}
	}
	return best, found
}

// readResults parses a results file; blank lines and # comments are
// skipped.
func readResults(r io.Reader) ([]result, error) {
	var out []result
	sc := bufio.NewScanner(r)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		res, err := parseResult(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", ln, err)
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// tableRow is one printed line of the table.
type tableRow struct {
	tool, workload, value, unit, secs, rss, ratio, note string
}

// measured sums up every run of one tool's workload by its median.
type measured struct {
	unit   string
	median result  // the median-rate run that succeeded; zero if none did
	ok     int     // runs that succeeded
	failed int     // runs that did not
	why    string  // the status of the first failed run
	lo, hi float64 // the lowest and highest rate of the runs that succeeded
	rssKiB int64   // the highest peak RSS of any run
}

// combine groups results by tool and workload, in order of first
// appearance. Each group's figure is its median run, so a run slowed by
// the machine (or sped up by going first) does not decide the table; with
// an even number of runs the slower of the middle two counts.
func combine(rs []result) (keys [][2]string, groups map[[2]string]*measured) {
	groups = map[[2]string]*measured{}
	good := map[[2]string][]result{}
	for _, r := range rs {
		k := [2]string{r.tool, r.workload}
		g := groups[k]
		if g == nil {
			g = &measured{unit: r.unit}
			groups[k] = g
			keys = append(keys, k)
		}
		g.rssKiB = max(g.rssKiB, r.rssKiB)
		switch {
		case r.ok():
			good[k] = append(good[k], r)
		case g.failed == 0:
			g.failed, g.why = 1, r.status
		default:
			g.failed++
		}
	}
	for k, runs := range good {
		slices.SortStableFunc(runs, func(a, b result) int { return cmp.Compare(a.rate(), b.rate()) })
		g := groups[k]
		g.ok = len(runs)
		g.median = runs[(len(runs)-1)/2]
		g.lo, g.hi = runs[0].rate(), runs[len(runs)-1].rate()
	}
	return keys, groups
}

// buildTable orders rows by tool (first appearance) and fills in the
// ratio of each mount result to its SDK baseline. A workload run more
// than once shows its median, and its note the range of all runs.
func buildTable(rs []result) []tableRow {
	keys, groups := combine(rs)
	sdk := map[string]result{}
	var tools []string
	byTool := map[string][][2]string{}
	for _, k := range keys {
		if g := groups[k]; k[0] == "sdk" && g.ok > 0 {
			sdk[k[1]] = g.median
		}
		if _, seen := byTool[k[0]]; !seen {
			tools = append(tools, k[0])
		}
		byTool[k[0]] = append(byTool[k[0]], k)
	}
	var out []tableRow
	for _, tool := range tools {
		for _, k := range byTool[tool] {
			g := groups[k]
			row := tableRow{tool: k[0], workload: k[1], unit: g.unit, value: "failed", secs: "-", rss: "-", ratio: "-"}
			if g.rssKiB > 0 {
				row.rss = fmt.Sprintf("%.0f", float64(g.rssKiB)/1024)
			}
			if g.ok == 0 {
				row.note = g.why
				out = append(out, row)
				continue
			}
			r := g.median
			row.value = formatRate(r.rate())
			row.secs = fmt.Sprintf("%.2f", r.elapsed.Seconds())
			var notes []string
			if b, ok := baseline(sdk, baselinesFor(k[1])); ok && k[0] != "sdk" {
				row.ratio = fmt.Sprintf("%.2f", r.rate()/b.rate())
				notes = append(notes, "vs "+b.workload)
			}
			if g.failed > 0 {
				notes = append(notes, fmt.Sprintf("%d of %d runs failed: %s", g.failed, g.ok+g.failed, g.why))
			}
			if g.ok > 1 {
				notes = append(notes, fmt.Sprintf("median of %d: %s-%s", g.ok, formatRate(g.lo), formatRate(g.hi)))
			}
			if r.requests != "" {
				notes = append(notes, "store: "+r.requests)
			}
			row.note = strings.Join(notes, "; ")
			out = append(out, row)
		}
	}
	return out
}

func formatRate(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func tableHeader() tableRow {
	return tableRow{"tool", "workload", "result", "unit", "time s", "peak RSS MiB", "vs SDK", ""}
}

// writeText prints the table with aligned columns.
func writeText(w io.Writer, rows []tableRow) {
	all := append([]tableRow{tableHeader()}, rows...)
	width := make([]int, 7)
	for _, r := range all {
		for i, c := range r.cells()[:7] {
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range all {
		c := r.cells()
		line := fmt.Sprintf("%-*s  %-*s  %*s  %-*s  %*s  %*s  %*s  %s",
			width[0], c[0], width[1], c[1], width[2], c[2], width[3], c[3],
			width[4], c[4], width[5], c[5], width[6], c[6], c[7])
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// writeMarkdown prints the table as a Markdown table.
func writeMarkdown(w io.Writer, rows []tableRow) {
	h := tableHeader()
	h.note = "note"
	fmt.Fprintln(w, "| "+strings.Join(h.cells(), " | ")+" |")
	fmt.Fprintln(w, "|---|---|--:|---|--:|--:|--:|---|")
	for _, r := range rows {
		c := r.cells()
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", `\|`)
		}
		fmt.Fprintln(w, "| "+strings.Join(c, " | ")+" |")
	}
}

func (r tableRow) cells() []string {
	return []string{r.tool, r.workload, r.value, r.unit, r.secs, r.rss, r.ratio, r.note}
}

func cmdReport(_ context.Context, _ environ, args []string, out io.Writer) error {
	fs := newFlags("report")
	format := fs.String("format", "text", "text or markdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: report [-format text|markdown] RESULTS.tsv")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	rs, err := readResults(f)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	rows := buildTable(rs)
	switch *format {
	case "text":
		writeText(out, rows)
	case "markdown", "md":
		writeMarkdown(out, rows)
	default:
		return fmt.Errorf("unknown -format %q", *format)
	}
	return nil
}
