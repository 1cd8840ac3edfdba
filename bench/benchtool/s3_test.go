package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// s3Env is the test server's environment with the bucket for one test, or
// a skip when no server is configured (make test starts one).
func s3Env(t *testing.T) environ {
	t.Helper()
	if os.Getenv("CLOUDFUSE_TEST_S3_ENDPOINT") == "" {
		t.Skip("CLOUDFUSE_TEST_S3_ENDPOINT not set; run through scripts/testservers.sh run")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return os.Getenv
}

func runOK(t *testing.T, env environ, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(t.Context(), args, env, &out, &errb); code != 0 {
		t.Fatalf("benchtool %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func TestSeedBaselineAndWaitsOnTheServer(t *testing.T) {
	env := s3Env(t)
	bucket := fmt.Sprintf("benchtool-%d", time.Now().UnixNano())
	fix := []string{"-bucket", bucket, "-size-mb", "9", "-dir", "d/", "-dir-files", "30", "-dir-file-bytes", "100",
		"-tree", "t/", "-tree-dirs", "4", "-tree-files", "21"}

	if out := runOK(t, env, append([]string{"seed"}, fix...)...); !strings.Contains(out, "seeded big.bin") ||
		!strings.Contains(out, "seeded t/ with 21 objects in 4 directories") {
		t.Fatalf("first seed: %q", out)
	}
	// A second seed finds everything in place and uploads nothing.
	if out := runOK(t, env, append([]string{"seed"}, fix...)...); out != "" {
		t.Fatalf("second seed uploaded again: %q", out)
	}

	out := runOK(t, env, append([]string{"sdk", "-rand-time", "200ms", "-files", "12", "-file-kb", "3",
		"-file-jobs", "3", "-part-mb", "5"}, fix...)...)
	rs, err := readResults(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	want := map[string]int64{"get-stream": 9 << 20, "get-ranged": 9 << 20, "put-multipart": 9 << 20,
		"put-small": 12, "get-small": 12, "list": 30, "head": 30, "delete-small": 12, "list-tree": 21,
		"get-tree": 21, "put-tree": 21}
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.workload] = true
		if !r.ok() {
			t.Errorf("%s failed: %s", r.workload, r.status)
			continue
		}
		if n, ok := want[r.workload]; ok && r.amount != n {
			t.Errorf("%s: amount %d, want %d", r.workload, r.amount, n)
		}
		if r.amount <= 0 {
			t.Errorf("%s: nothing done", r.workload)
		}
	}
	if len(seen) != len(want)+2 { // and the two random reads
		t.Errorf("ran %d operations, want %d: %v", len(seen), len(want)+2, seen)
	}

	// -for runs only what the named workloads are compared with.
	out = runOK(t, env, append([]string{"sdk", "-files", "12", "-file-kb", "3", "-part-mb", "5", "-for", "ls-f read-small"}, fix...)...)
	rs, err = readResults(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	var ran []string
	for _, r := range rs {
		ran = append(ran, r.workload)
	}
	if got := strings.Join(ran, " "); got != "put-small get-small list" {
		t.Errorf("-for ls-f read-small ran %q", got)
	}

	// The waits see what is there, and time out on what is not.
	runOK(t, env, "wait-object", "-bucket", bucket, "-key", "big.bin", "-size", fmt.Sprint(9<<20), "-timeout", "5s")
	runOK(t, env, "wait-count", "-bucket", bucket, "-prefix", "d/", "-count", "30", "-size", "100", "-timeout", "5s")
	var o, e bytes.Buffer
	if code := run(t.Context(), []string{"wait-count", "-bucket", bucket, "-prefix", "d/", "-count", "31",
		"-timeout", "2s"}, env, &o, &e); code != 1 || !strings.Contains(e.String(), "30 objects") {
		t.Fatalf("impossible wait: exit %d, %q", code, e.String())
	}
	// The baseline cleaned up after itself.
	runOK(t, env, "wait-count", "-bucket", bucket, "-prefix", "sdk/", "-count", "0", "-timeout", "5s")

	if out := runOK(t, env, "rm-prefix", "-bucket", bucket, "-prefix", "d/"); !strings.Contains(out, "deleted 31 objects") {
		t.Fatalf("rm-prefix: %q", out)
	}
	runOK(t, env, "wait-count", "-bucket", bucket, "-prefix", "d/", "-count", "0", "-timeout", "5s")
	cleanup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var t2 s3Target
	t2.addFlags(newFlags("x"), env)
	if c, err := t2.client(cleanup); err == nil {
		b := bucketOps{c: c, bucket: bucket}
		_, _ = b.deletePrefix(cleanup, "", maxObjects)
	}
}
