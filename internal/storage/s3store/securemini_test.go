package s3store

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

const (
	testKMSKey = storagetest.SecureKMSKey
	testRegion = storagetest.SecureRegion
)

// secureServer is storagetest's TLS MinIO with a KMS key and a region of
// its own (SSE-C needs TLS; region discovery needs a region).
type secureServer struct{ storagetest.SecureServer }

func secureMinIO(t *testing.T) secureServer {
	t.Helper()
	base := serverOptions(t) // skips (or fails in CI) without test servers
	return secureServer{storagetest.StartSecureMinIO(t, base.AccessKeyID, base.SecretAccessKey)}
}

// options are serverOptions for this server, signing for its region.
func (s secureServer) options(t *testing.T) Options {
	o := serverOptions(t)
	o.Endpoint, o.CACertFile, o.Region = s.Endpoint, s.CAFile, testRegion
	return o
}

// newSecureStore makes a bucket on the server and a store on it with o.
func newSecureStore(t *testing.T, o Options) *Store {
	t.Helper()
	o.Bucket = randomBucket()
	return newStoreWithBucket(t, o)
}
