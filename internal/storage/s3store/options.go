package s3store

import (
	"log/slog"
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

	// MaxRetries per request (default 5); retries back off exponentially
	// with jitter on throttling, timeouts and 5xx.
	MaxRetries int
	// DisableChecksum turns off CRC32C checksums on uploads.
	DisableChecksum bool

	Logger *slog.Logger
}
