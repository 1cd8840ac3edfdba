package s3store

import (
	"log/slog"
	"time"
)

// Options configures an S3 store. Empty credentials select the SDK's default
// chain (environment, shared files, web identity, instance role).
type Options struct {
	Bucket       string
	Endpoint     string // e.g. "http://127.0.0.1:9000"; "" for AWS
	Region       string // "" -> from the environment, else us-east-1
	UsePathStyle bool
	Profile      string

	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// MaxRetries per request (default 5; negative disables retries);
	// retries back off exponentially with jitter on throttling, timeouts,
	// connection resets and 5xx.
	MaxRetries int
	// MaxBackoff caps the wait between two retries (default 20s).
	MaxBackoff time.Duration
	// IdleTimeout fails a request whose connection moves no data for this
	// long (default 60s), so a stalled connection is retried instead of
	// hanging.
	IdleTimeout time.Duration
	// DisableChecksum turns off CRC32C checksums on uploads.
	DisableChecksum bool

	// HTTPProxy and HTTPSProxy are the proxies for http and https
	// endpoints; a scheme without one goes by HTTP_PROXY, HTTPS_PROXY and
	// NO_PROXY.
	HTTPProxy, HTTPSProxy string
	// CACertFile is a PEM file of CAs trusted besides the system's (and
	// AWS_CA_BUNDLE's).
	CACertFile string

	// SSE asks S3 to encrypt new objects with its own keys: SSES3
	// ("AES256") or SSEKMS ("aws:kms", with SSEKMSKeyID or the bucket's
	// default KMS key). "" leaves it to the bucket's default.
	SSE         string
	SSEKMSKeyID string
	// SSECustomerKey (32 bytes) encrypts every object written with a key
	// the store does not keep (SSE-C); every read sends it again. Objects
	// written without it, or with another key, cannot be read.
	SSECustomerKey []byte
	// StorageClass of new objects ("" for the bucket's default).
	StorageClass string
	// RequesterPays accepts the charges of a requester-pays bucket.
	RequesterPays bool
	// ExpectedBucketOwner is the account id the bucket must belong to;
	// requests to a bucket of another owner fail with 403.
	ExpectedBucketOwner string
	// Anonymous sends unsigned requests, for public buckets.
	Anonymous bool
	// NoListMetadata lists as Amazon S3 does, without asking for user
	// metadata (MinIO's metadata=true): listed objects then carry none,
	// and a directory read costs a HEAD per entry whose attributes are
	// needed.
	NoListMetadata bool

	Logger *slog.Logger
}

// Server-side encryption with S3's keys.
const (
	SSES3  = "AES256"
	SSEKMS = "aws:kms"
)

const (
	defaultMaxRetries  = 5
	defaultMaxBackoff  = 20 * time.Second
	defaultIdleTimeout = 60 * time.Second
	defaultRegion      = "us-east-1"
)

func (o Options) maxAttempts() int {
	switch {
	case o.MaxRetries < 0:
		return 1
	case o.MaxRetries == 0:
		return defaultMaxRetries + 1
	default:
		return o.MaxRetries + 1
	}
}

func (o Options) maxBackoff() time.Duration {
	if o.MaxBackoff > 0 {
		return o.MaxBackoff
	}
	return defaultMaxBackoff
}

func (o Options) idleTimeout() time.Duration {
	if o.IdleTimeout > 0 {
		return o.IdleTimeout
	}
	return defaultIdleTimeout
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}
