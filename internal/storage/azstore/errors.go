package azstore

import (
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// kindByCode maps Azure error codes (x-ms-error-code) to sentinels. Codes
// win over status codes: a 404 may mean a missing blob or a missing
// container, and a 409 BlobAlreadyExists is the answer to If-None-Match "*".
func kindByCode(code string) error {
	switch code {
	case "BlobNotFound", "ResourceNotFound":
		return storage.ErrNotFound
	case "ContainerNotFound", "ContainerBeingDeleted":
		return storage.ErrNoBucket
	case "ConditionNotMet", "SourceConditionNotMet", "TargetConditionNotMet", "BlobAlreadyExists":
		return storage.ErrPrecondition
	case "AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
		"AuthorizationProtocolMismatch", "AuthorizationResourceTypeMismatch",
		"AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch",
		"InsufficientAccountPermissions", "AccountIsDisabled", "ContainerDisabled":
		return storage.ErrPermission
	case "ServerBusy":
		return storage.ErrThrottled
	case "InvalidRange":
		return storage.ErrInvalidRange
	case "RequestBodyTooLarge", "BlockCountExceedsLimit", "BlockListTooLong":
		return storage.ErrTooLarge
	case "InvalidResourceName":
		return storage.ErrInvalidKey
	case "InvalidMetadata":
		return storage.ErrNotSupported
	}
	return nil
}

// kindOf returns the sentinel for an Azure error, or nil.
func kindOf(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return nil
	}
	if k := kindByCode(re.ErrorCode); k != nil {
		return k
	}
	switch re.StatusCode {
	case http.StatusNotFound:
		return storage.ErrNotFound
	case http.StatusPreconditionFailed:
		return storage.ErrPrecondition
	case http.StatusUnauthorized, http.StatusForbidden:
		return storage.ErrPermission
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return storage.ErrThrottled
	case http.StatusRequestedRangeNotSatisfiable:
		return storage.ErrInvalidRange
	case http.StatusRequestEntityTooLarge:
		return storage.ErrTooLarge
	}
	return nil
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
