package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestResultLineRoundTrips(t *testing.T) {
	r := result{tool: "rclone", workload: "seq-read-1", unit: unitMiBs, amount: 3 << 20,
		elapsed: 1500 * time.Millisecond, rssKiB: 2048, status: "ok"}
	got, err := parseResult(r.String())
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	if v := got.rate(); v != 2 {
		t.Fatalf("rate = %v MiB/s, want 2", v)
	}
}

// The store's requests ride along as an eighth field and reach the note.
func TestRequestsReachTheTable(t *testing.T) {
	r := result{tool: "s3fs", workload: "ls-l", unit: unitOps, amount: 10, elapsed: time.Second, status: "ok",
		requests: "13 LIST, 2 HEAD"}
	got, err := parseResult(r.String())
	if err != nil || got != r {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	rows := tableOf(t, r.String())
	if len(rows) != 1 || !strings.Contains(rows[0].note, "store: 13 LIST, 2 HEAD") {
		t.Fatalf("rows %+v", rows)
	}
}

// MinIO's counters are read by API and grouped by kind; -since gives the
// difference.
func TestRequestCounts(t *testing.T) {
	metrics := `# HELP minio_api_requests_total Total number of requests in the current MinIO server instance
minio_api_requests_total{name="ListObjectsV2",server="127.0.0.1:9000",type="s3"} 13
minio_api_requests_total{name="HeadObject",server="127.0.0.1:9000",type="s3"} 2
minio_api_requests_total{name="HeadBucket",server="127.0.0.1:9000",type="s3"} 1
minio_api_requests_total{name="GetObject",server="127.0.0.1:9000",type="s3"} 4e+00
minio_api_requests_total{name="PutBucket",server="127.0.0.1:9000",type="s3"} 1
minio_api_requests_errors_total{name="GetObject",server="127.0.0.1:9000",type="s3"} 9
`
	c, err := parseRequests(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	if c["LIST"] != 13 || c["HEAD"] != 3 || c["GET"] != 4 || c["OTHER"] != 1 {
		t.Fatalf("counts %v", c)
	}
	back, err := parseCounts(c.String())
	if err != nil {
		t.Fatal(err)
	}
	before := requestCounts{"LIST": 10, "HEAD": 3}
	if got := back.since(before); got != "3 LIST, 4 GET, 1 OTHER" {
		t.Errorf("since: %q", got)
	}
	if got := back.since(back); got != "no requests" {
		t.Errorf("since itself: %q", got)
	}
}

func TestParseResultRejectsBadLines(t *testing.T) {
	for _, line := range []string{
		"a\tb\tMiB/s\t1\t2\t3",           // six fields
		"a\tb\tGB/s\t1\t2\t3\tok",        // unknown unit
		"a\tb\tops/s\tx\t2\t3\tok",       // amount not a number
		"a\tb\tops/s\t1\t-2\t3\tok",      // negative time
		"a\tb\tops/s\t1\t2\t3\tok\tx\ty", // nine fields
	} {
		if _, err := parseResult(line); err == nil {
			t.Errorf("parseResult(%q) succeeded", line)
		}
	}
}

func TestTableRatiosAgainstTheSDK(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"sdk\tget-ranged\tMiB/s\t" + itoa(400<<20) + "\t1000000000\t0\tok",
		"sdk\tlist\tops/s\t10000\t500000000\t1024\tok",
		"sdk\tget-stream\tMiB/s\t" + itoa(200<<20) + "\t1000000000\t0\tok",
		"sdk\tput-small\tops/s\t0\t0\t0\tthe server said no",
		"rclone\tcreate-small\tops/s\t10\t1000000000\t0\tok",
		"",
		"cloudfuse-file\tseq-read-1\tMiB/s\t" + itoa(100<<20) + "\t1000000000\t51200\tok",
		"cloudfuse-file\tls-l\tops/s\t10000\t2000000000\t10240\tok",
		"s3fs\tseq-read-4\tMiB/s\t0\t0\t0\tmount failed",
		"s3fs\tunknown-work\tops/s\t10\t1000000000\t0\tok",
	}, "\n")
	rows := tableOf(t, in)
	want := []tableRow{
		{"sdk", "get-ranged", "400", unitMiBs, "1.00", "-", "-", ""},
		{"sdk", "list", "20000", unitOps, "0.50", "1", "-", ""},
		{"sdk", "get-stream", "200", unitMiBs, "1.00", "-", "-", ""},
		{"sdk", "put-small", "failed", unitOps, "-", "-", "-", "the server said no"},
		// Tools keep the order they first appear in; a failed baseline
		// gives no ratio.
		{"rclone", "create-small", "10.0", unitOps, "1.00", "-", "-", ""},
		{"cloudfuse-file", "seq-read-1", "100", unitMiBs, "1.00", "50", "0.25", "vs get-ranged"},
		{"cloudfuse-file", "ls-l", "5000", unitOps, "2.00", "10", "0.25", "vs list"},
		{"s3fs", "seq-read-4", "failed", unitMiBs, "-", "-", "-", "mount failed"},
		{"s3fs", "unknown-work", "10.0", unitOps, "1.00", "-", "-", ""},
	}
	sameRows(t, rows, want)

	var text, md bytes.Buffer
	writeText(&text, rows)
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != len(rows)+1 || !strings.HasPrefix(lines[0], "tool ") {
		t.Fatalf("text table:\n%s", text.String())
	}
	// Columns line up: the workload column starts at the same offset.
	col := strings.Index(lines[0], "workload")
	for _, l := range lines[1:] {
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned line %q (workload column at %d)", l, col)
		}
	}
	writeMarkdown(&md, rows)
	if !strings.Contains(md.String(), "| cloudfuse-file | seq-read-1 | 100 | MiB/s | 1.00 | 50 | 0.25 | vs get-ranged |") {
		t.Fatalf("markdown table:\n%s", md.String())
	}
}

func TestReadResultsNamesTheBadLine(t *testing.T) {
	_, err := readResults(strings.NewReader("sdk\tlist\tops/s\t1\t1\t0\tok\nbroken\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTableShowsTheMedianOfRepeatedRuns(t *testing.T) {
	in := strings.Join([]string{
		"sdk\tput-small\tops/s\t100\t1000000000\t0\tok",
		"sdk\tput-small\tops/s\t300\t1000000000\t0\tok",
		"sdk\tput-small\tops/s\t200\t1000000000\t0\tok",
		// Four runs of which one failed: the median of the three others
		// counts, the highest RSS of all is shown.
		"s3fs\tcreate-small\tops/s\t50\t1000000000\t2048\tok",
		"s3fs\tcreate-small\tops/s\t0\t0\t4096\tmount failed",
		"s3fs\tcreate-small\tops/s\t150\t1000000000\t1024\tok",
		"s3fs\tcreate-small\tops/s\t200\t2000000000\t1024\tok",
		// Two runs: the slower counts.
		"rclone\tcreate-small\tops/s\t40\t1000000000\t0\tok",
		"rclone\tcreate-small\tops/s\t80\t1000000000\t0\tok",
	}, "\n")
	want := []tableRow{
		{"sdk", "put-small", "200", unitOps, "1.00", "-", "-", "median of 3: 100-300"},
		{"s3fs", "create-small", "100", unitOps, "2.00", "4", "0.50",
			"vs put-small; 1 of 4 runs failed: mount failed; median of 3: 50.0-150"},
		{"rclone", "create-small", "40.0", unitOps, "1.00", "-", "0.20", "vs put-small; median of 2: 40.0-80.0"},
	}
	sameRows(t, tableOf(t, in), want)
}

// tableOf builds the table of a results file's text.
func tableOf(t *testing.T, in string) []tableRow {
	t.Helper()
	rs, err := readResults(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return buildTable(rs)
}

func sameRows(t *testing.T, got, want []tableRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBaselinesForAll(t *testing.T) {
	if got := baselinesForAll(" "); got != nil {
		t.Fatalf("no workloads: %v", got)
	}
	got := baselinesForAll("ls-f,read-small find-tree")
	want := map[string]bool{"list": true, "get-small": true, "put-small": true, "list-tree": true}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for op := range want {
		if !got[op] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
