//go:build linux

package e2e

// Unfinished multipart uploads: a daemon killed in the middle of one
// leaves it in the store (billed, invisible). The next mount over the same
// cache directory aborts what its journal names, and a sweep after mount
// aborts any upload under the mount older than s3storage.stale-upload-hours.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// s3Uploads lists the unfinished multipart uploads of the bucket named in
// section, with how many parts each holds.
func s3Uploads(t *testing.T, section string) map[string]int {
	t.Helper()
	endpoint, key, secret := s3Env(t)
	bucket := regexp.MustCompile(`(?m)^  bucket-name: (\S+)$`).FindStringSubmatch(section)[1]
	cl := s3Client(endpoint, key, secret)
	ctx := context.Background()
	out, err := cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	ups := map[string]int{}
	for _, u := range out.Uploads {
		parts, err := cl.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		n := 0
		if err == nil {
			n = len(parts.Parts)
		}
		ups[aws.ToString(u.Key)+" "+aws.ToString(u.UploadId)] = n
	}
	return ups
}

// TestUploadCleanupAfterKill kills the daemon with SIGKILL while a 200 MiB
// file is uploading in parts, mounts again over the same cache directory
// and checks through the SDK that no multipart upload is left and no half
// object shows. The file cache sends 5 MiB parts while the file is written;
// the kill lands once every byte is staged (no writeback cache, so each
// write(2) reached the daemon) and before close; the file was never
// closed, so the next mount keeps the staged copy whole as a recovered
// copy beside its name, not under it. The block cache streams while the
// file is written; the kill lands mid-write and the file, never
// acknowledged, is absent.
func TestUploadCleanupAfterKill(t *testing.T) {
	for _, dataPath := range []string{"file_cache", "block_cache"} {
		t.Run(dataPath, func(t *testing.T) {
			b, section := setupS3(t)
			// Parts of 5 MiB staged; the block cache streams in its
			// blocks (16 MiB).
			m := mountWith(t, b, section, mountOpts{dataPath: dataPath, extraYAML: "  part-size-mb: 5\n",
				flags: []string{"--disable-writeback-cache"}})
			big := content{name: "big-" + dataPath, size: 200 << 20}

			written := make(chan struct{})
			proceed := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				f, err := os.Create(m.path(big.name))
				if err != nil {
					close(written)
					done <- err
					return
				}
				_, err = io.Copy(f, big.reader())
				close(written)
				if dataPath == "file_cache" {
					<-proceed
				}
				done <- errors.Join(err, f.Close())
			}()
			if dataPath == "file_cache" {
				<-written
			}
			// Kill once a part of the upload is in the store: the upload
			// is then surely under way and recorded.
			deadline := time.Now().Add(2 * time.Minute)
			for killed := false; !killed; {
				for _, parts := range s3Uploads(t, section) {
					if parts > 0 {
						killed = true
					}
				}
				select {
				case err := <-done:
					if !killed {
						t.Fatalf("the upload finished (%v) before a kill could land in it", err)
					}
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("no multipart upload with a part appeared")
				}
				if !killed {
					time.Sleep(10 * time.Millisecond)
				}
			}
			if err := m.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			close(proceed)
			<-done // fails: the daemon is gone
			if n := len(s3Uploads(t, section)); n == 0 {
				t.Fatal("the killed daemon left no multipart upload: nothing to test")
			}
			m.stop() // unmounts the dead mount
			m.start()

			if ups := s3Uploads(t, section); len(ups) != 0 {
				t.Fatalf("multipart uploads left after the next mount: %v", ups)
			}
			log, _ := os.ReadFile(m.Log)
			if !bytes.Contains(log, []byte("aborted an unfinished multipart upload left by an earlier run")) {
				t.Errorf("the next mount did not log the abort\n%s", tail(m.Log))
			}
			// Never closed: not under its name on either data path. The file
			// cache keeps what was written as a recovered copy beside it.
			size, _, err := storeSum(context.Background(), b, big.name)
			if !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("a file killed before its close shows under its name: %d bytes, %v", size, err)
			}
			copies := recoveredCopies(t, b, big.name)
			switch {
			case dataPath == "block_cache" && len(copies) != 0:
				t.Fatalf("a streamed file left copies %q", copies)
			case dataPath == "file_cache" && len(copies) != 1:
				t.Fatalf("recovered copies %q, want one", copies)
			case dataPath == "file_cache":
				size, sum, err := storeSum(context.Background(), b, copies[0])
				if err != nil || size != big.size || sum != big.sum() {
					t.Fatalf("recovered copy of %d bytes (%v), want the whole %d-byte file", size, err, big.size)
				}
			}
		})
	}
}

// TestStaleUploadSweep plants unfinished uploads through the SDK and
// mounts with a stale-upload age of about a second: the sweep after mount
// aborts the one started before the mount under the mounted subdirectory
// and logs the count, and leaves one started after the mount and one
// outside the subdirectory.
func TestStaleUploadSweep(t *testing.T) {
	b, section := setupS3(t)
	endpoint, key, secret := s3Env(t)
	bucket := regexp.MustCompile(`(?m)^  bucket-name: (\S+)$`).FindStringSubmatch(section)[1]
	cl := s3Client(endpoint, key, secret)
	ctx := context.Background()
	plant := func(k string) {
		t.Helper()
		out, err := cl.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(k),
			UploadId: out.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")}); err != nil {
			t.Fatal(err)
		}
	}
	plant("sub/old")
	plant("outside/old")
	time.Sleep(2500 * time.Millisecond) // older than the age below
	m := mountWith(t, b, section, mountOpts{extraYAML: "  subdirectory: sub\n  stale-upload-hours: 0.0003\n"})
	plant("sub/new")

	want := []string{"outside/old", "sub/new"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var keys []string
		for k := range s3Uploads(t, section) {
			keys = append(keys, strings.Fields(k)[0])
		}
		slices.Sort(keys)
		if fmt.Sprint(keys) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploads after the sweep: %q, want %q\n%s", keys, want, tail(m.Log))
		}
		time.Sleep(100 * time.Millisecond)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		log, _ := os.ReadFile(m.Log)
		if bytes.Contains(log, []byte("stale multipart upload sweep done")) {
			if !bytes.Contains(log, []byte("aborted=1")) {
				t.Fatalf("sweep count not logged as 1\n%s", tail(m.Log))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep not logged\n%s", tail(m.Log))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
