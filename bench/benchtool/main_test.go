package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestRunRejectsUnknownCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"bogus"}, noEnv, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), `unknown command "bogus"`) || !strings.Contains(errb.String(), "report") {
		t.Fatalf("stderr: %s", errb.String())
	}
	if code := run(context.Background(), nil, noEnv, &out, &errb); code != 2 {
		t.Fatalf("no command: exit %d, want 2", code)
	}
}

func TestS3CommandsNeedTheServer(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"seed", "-size-mb", "1"}, noEnv, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "CLOUDFUSE_TEST_S3_ENDPOINT") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestReportCommandPrintsBothFormats(t *testing.T) {
	f := filepath.Join(t.TempDir(), "results.tsv")
	data := "sdk\tput-small\tops/s\t2000\t1000000000\t0\tok\n" +
		"rclone\tcreate-small\tops/s\t2000\t4000000000\t0\tok\n"
	if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "markdown"} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"report", "-format", format, f}, noEnv, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errb.String())
		}
		if !strings.Contains(out.String(), "0.25") || !strings.Contains(out.String(), "vs put-small") {
			t.Fatalf("%s output:\n%s", format, out.String())
		}
	}
}
