package azstore

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// An https endpoint whose certificate comes from a private CA is trusted
// with azstorage.ca-cert-file, and refused without it.
func TestCACertFileOption(t *testing.T) {
	o := serverOptions(t)
	o.Container = randomName("cf-ca-")
	newStoreWithContainer(t, o)
	front, ca := storagetest.TLSFront(t, o.Endpoint)
	o.Endpoint, o.MaxRetries = front, -1
	storagetest.RequireCATrust(t, ca, func(caFile string) (storage.Backend, error) {
		o.CACertFile = caFile
		return New(testCtx(t), o)
	})
}
