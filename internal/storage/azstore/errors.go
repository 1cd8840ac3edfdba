package azstore

import (
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// kindOf returns the sentinel for an Azure error (storage.Classify of
// its x-ms-error-code and status), or nil.
func kindOf(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return nil
	}
	return storage.Classify(re.StatusCode, re.ErrorCode)
}

// wrapErr wraps an SDK error with its sentinel. Errors that are already a
// *storage.Error pass through.
func wrapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return err
	}
	return storage.Errorf(op, key, kindOf(err), err)
}

// isCode reports whether err is an Azure error with one of the codes.
func isCode(err error, codes ...string) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	for _, c := range codes {
		if re.ErrorCode == c {
			return true
		}
	}
	return false
}

// statusOf returns the HTTP status of an Azure error, or 0.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}
