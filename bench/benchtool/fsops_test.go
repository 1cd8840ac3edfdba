package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSmallFileWorkloadsOnADirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := fsWork{dir: dir, n: 37, size: 5000, jobs: 4}

	w.op = "create"
	ops, n, err := w.run(ctx)
	if err != nil || ops != 37 || n != 37*5000 {
		t.Fatalf("create: %d ops, %d bytes, %v", ops, n, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 37 {
		t.Fatalf("after create: %d entries, %v", len(entries), err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "f00000"))
	b, _ := os.ReadFile(filepath.Join(dir, "f00036"))
	if len(a) != 5000 || len(b) != 5000 || bytes.Equal(a, b) {
		t.Fatalf("files should be 5000 bytes each and differ: %d, %d", len(a), len(b))
	}

	for _, op := range []string{"read", "stat"} {
		w.op = op
		if ops, _, err := w.run(ctx); err != nil || ops != 37 {
			t.Fatalf("%s: %d ops, %v", op, ops, err)
		}
	}

	// A file of the wrong size fails the read; a directory fails the stat.
	if err := os.WriteFile(filepath.Join(dir, "f00007"), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.op = "read"
	if _, _, err := w.run(ctx); err == nil {
		t.Fatal("read accepted a file of the wrong size")
	}
	w.size = -1
	if _, _, err := w.run(ctx); err != nil {
		t.Fatalf("read with any size: %v", err)
	}

	w.op = "delete"
	if _, _, err := w.run(ctx); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%d entries left after delete", len(entries))
	}
	w.op = "stat"
	if _, _, err := w.run(ctx); err == nil {
		t.Fatal("stat of deleted files succeeded")
	}
}

func TestStatRejectsDirectories(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "f00000"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := fsWork{op: "stat", dir: dir, n: 1, jobs: 1}
	if _, _, err := w.run(context.Background()); err == nil {
		t.Fatal("stat accepted a directory")
	}
}

func TestFSWorkRejectsBadSettings(t *testing.T) {
	for _, w := range []fsWork{
		{op: "create", dir: "", n: 1, jobs: 1},
		{op: "create", dir: "x", n: 0, jobs: 1},
		{op: "create", dir: "x", n: 1, jobs: 0},
		{op: "create", dir: "x", n: 1, jobs: 1, size: -1},
		{op: "chmod", dir: "x", n: 1, jobs: 1},
	} {
		if _, _, err := w.run(context.Background()); err == nil {
			t.Errorf("%+v accepted", w)
		}
	}
}
