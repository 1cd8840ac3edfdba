package s3store

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// minioSameName is MinIO's known gap: it stores an object as a directory,
// so when both "a" and "a/b" exist the longer key is missing from listings.
// AWS S3 lists both.
const minioSameName = "MinIO does not list an object whose key extends another object's key (\"a\" and \"a/b\")"

// TestConformance runs the storage conformance suite against the test S3
// server, each subtest on a bucket of its own.
func TestConformance(t *testing.T) {
	serverOptions(t) // skip or fail early when there is no server
	storagetest.RunWith(t, func(t *testing.T) storage.Backend {
		return newTestStore(t)
	}, storagetest.Options{Skip: map[string]string{
		"Keys/ObjectAndPrefixSameName": minioSameName,
		"List/Flat":                    minioSameName,
		"List/Delimiter":               minioSameName,
	}})
}
