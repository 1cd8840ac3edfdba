package s3store

import (
	"context"
	"errors"
	"net/http"

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

// kindOf maps an S3 error to a storage sentinel, or nil when none applies
// (network failures, cancellation, unexpected server errors).
func kindOf(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if kind := kindOfCode(apiErr.ErrorCode()); kind != nil {
			return kind
		}
	}
	if status, ok := statusOf(err); ok {
		return kindOfStatus(status)
	}
	return nil
}

// statusOf returns the HTTP status of the response that err came with.
func statusOf(err error) (int, bool) {
	var statusErr interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &statusErr) {
		return 0, false
	}
	return statusErr.HTTPStatusCode(), true
}

func kindOfCode(code string) error {
	switch code {
	case "NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchVersion":
		return storage.ErrNotFound
	case "NoSuchBucket":
		return storage.ErrNoBucket
	case "PreconditionFailed", "ConditionalRequestConflict":
		return storage.ErrPrecondition
	case "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
		"AllAccessDisabled", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
		"AccountProblem":
		return storage.ErrPermission
	case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
		"TooManyRequests", "TooManyRequestsException", "ServiceUnavailable",
		"RequestThrottled", "XMinioServerNotInitialized":
		return storage.ErrThrottled
	case "InvalidRange":
		return storage.ErrInvalidRange
	case "NotImplemented", "XNotImplemented", "MethodNotAllowed":
		return storage.ErrNotSupported
	case "EntityTooLarge":
		return storage.ErrTooLarge
	case "KeyTooLongError", "XMinioInvalidObjectName", "InvalidObjectName":
		return storage.ErrInvalidKey
	}
	return nil
}

func kindOfStatus(status int) error {
	switch status {
	case http.StatusNotFound:
		return storage.ErrNotFound
	case http.StatusPreconditionFailed:
		return storage.ErrPrecondition
	case http.StatusUnauthorized, http.StatusForbidden:
		return storage.ErrPermission
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return storage.ErrThrottled
	case http.StatusRequestedRangeNotSatisfiable:
		return storage.ErrInvalidRange
	case http.StatusNotImplemented:
		return storage.ErrNotSupported
	}
	return nil
}
