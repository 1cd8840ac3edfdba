package azstore

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// TestConformance runs the storage conformance suite against the test blob
// server, each subtest on a container of its own.
func TestConformance(t *testing.T) {
	serverOptions(t) // skip or fail early when there is no server
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newServerStore(t)
	})
}
