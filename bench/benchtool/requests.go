package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Store requests per workload come from MinIO's own counters (its
// Prometheus metrics v3, minio_api_requests_total by API name: the v2
// node metrics are cached for ten seconds, these are live), so every tool
// is counted the same way, whatever it reports itself.
// scripts/testservers.sh starts MinIO with its metrics public.

// requestKinds groups MinIO's API names into the kinds the table shows.
var requestKinds = []struct {
	kind string
	apis []string
}{
	{"LIST", []string{"listobjectsv2", "listobjectsv2m", "listobjectsv1", "listobjectversions", "listmultipartuploads", "listobjectparts", "listbuckets"}},
	{"HEAD", []string{"headobject", "headbucket"}},
	{"GET", []string{"getobject"}},
	{"PUT", []string{"putobject", "putobjectpart", "copyobject", "copyobjectpart", "newmultipartupload", "completemultipartupload"}},
	{"DELETE", []string{"deleteobject", "deletemultipleobjects", "abortmultipartupload"}},
}

// requestCounts are totals by kind (and "OTHER").
type requestCounts map[string]int64

var requestLine = regexp.MustCompile(`^minio_api_requests_total\{name="([^"]+)"[^}]*\} ([0-9.e+]+)$`)

// parseRequests reads the request totals from MinIO's metrics text.
func parseRequests(r io.Reader) (requestCounts, error) {
	kindOf := map[string]string{}
	for _, k := range requestKinds {
		for _, a := range k.apis {
			kindOf[a] = k.kind
		}
	}
	out := requestCounts{}
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 4<<20)
	for s.Scan() {
		m := requestLine.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, fmt.Errorf("metric %q: %w", s.Text(), err)
		}
		kind := kindOf[strings.ToLower(m[1])]
		if kind == "" {
			kind = "OTHER"
		}
		out[kind] += int64(v)
	}
	return out, s.Err()
}

// String is "LIST=n HEAD=n ..." in a fixed order: what -since reads back.
func (c requestCounts) String() string {
	var parts []string
	for _, k := range append(kindNames(), "OTHER") {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return strings.Join(parts, " ")
}

func kindNames() []string {
	var out []string
	for _, k := range requestKinds {
		out = append(out, k.kind)
	}
	return out
}

// parseCounts reads back a String.
func parseCounts(s string) (requestCounts, error) {
	out := requestCounts{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out[k] = n
	}
	return out, nil
}

// since describes the requests made after prev: "13 LIST, 2 HEAD", the
// kinds with none left out ("no requests" when nothing was asked).
func (c requestCounts) since(prev requestCounts) string {
	var parts []string
	for _, k := range append(kindNames(), "OTHER") {
		if n := c[k] - prev[k]; n != 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) == 0 {
		return "no requests"
	}
	return strings.Join(parts, ", ")
}

// cmdRequests prints MinIO's request totals, or with -since what was
// asked after an earlier output.
func cmdRequests(ctx context.Context, env environ, args []string, out io.Writer) error {
	fs := newFlags("requests")
	var t s3Target
	t.addFlags(fs, env)
	since := fs.String("since", "", "an earlier output of this command: print the requests made after it")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if t.endpoint == "" {
		return fmt.Errorf("no endpoint (CLOUDFUSE_TEST_S3_ENDPOINT)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.endpoint, "/")+"/minio/metrics/v3/api/requests", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("MinIO metrics: %s (is MINIO_PROMETHEUS_AUTH_TYPE=public?)", resp.Status)
	}
	now, err := parseRequests(resp.Body)
	if err != nil {
		return err
	}
	if *since == "" {
		fmt.Fprintln(out, now)
		return nil
	}
	prev, err := parseCounts(*since)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, now.since(prev))
	return nil
}
