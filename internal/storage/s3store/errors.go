package s3store

import (
	"context"
	"errors"

	"github.com/aws/smithy-go"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// wrapErr turns an SDK error into a *storage.Error whose Kind is the
// matching sentinel, keeping the SDK error for the log.
func wrapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return storage.Errorf(op, key, kindOf(err), err)
}

// kindOf maps an S3 error to a storage sentinel (storage.Classify), or
// nil when none applies (network failures, cancellation, unexpected server
// errors).
func kindOf(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var code string
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status, ok := statusOf(err)
	if !ok && code == "" {
		return nil
	}
	return storage.Classify(status, code)
}

// statusOf returns the HTTP status of the response that err came with.
func statusOf(err error) (int, bool) {
	var statusErr interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &statusErr) {
		return 0, false
	}
	return statusErr.HTTPStatusCode(), true
}
