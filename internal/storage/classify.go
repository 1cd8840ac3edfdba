package storage

import "net/http"

// Classify returns the sentinel for a store's answer: its error code (S3's
// <Code>, Azure's x-ms-error-code, ADLS's dfs code) when it names one,
// otherwise its HTTP status. It returns nil when neither says more than
// "failed" (a 400 without a known code, a 500): the caller then reports
// the store's own error, which maps to EIO. Every backend classifies
// through here, so a status means the same on every store.
//
// Codes win over status: a 404 may be a missing object or a missing
// bucket, and Azure answers If-None-Match "*" with 409 BlobAlreadyExists.
func Classify(status int, code string) error {
	if k, ok := errorCodes[code]; ok {
		return k
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrPermission
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return ErrPrecondition
	case http.StatusRequestEntityTooLarge:
		return ErrTooLarge
	case http.StatusRequestedRangeNotSatisfiable:
		return ErrInvalidRange
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return ErrThrottled
	case http.StatusNotImplemented, http.StatusMethodNotAllowed:
		return ErrNotSupported
	}
	return nil
}

// errorCodes are the store error codes that name a kind, for S3 (and
// MinIO), Azure Blob and ADLS Gen2 together: no code means one thing on
// one store and another elsewhere.
var errorCodes = map[string]error{
	// Not found.
	"NoSuchKey": ErrNotFound, "NotFound": ErrNotFound, "NoSuchUpload": ErrNotFound,
	"NoSuchVersion": ErrNotFound, "BlobNotFound": ErrNotFound, "ResourceNotFound": ErrNotFound,
	"PathNotFound": ErrNotFound, "SourcePathNotFound": ErrNotFound,
	"RenameDestinationParentPathNotFound": ErrNotFound,
	// The bucket or container itself.
	"NoSuchBucket": ErrNoBucket, "ContainerNotFound": ErrNoBucket,
	"ContainerBeingDeleted": ErrNoBucket, "FilesystemNotFound": ErrNoBucket,
	// Conditions.
	"PreconditionFailed": ErrPrecondition, "ConditionalRequestConflict": ErrPrecondition,
	"ConditionNotMet": ErrPrecondition, "SourceConditionNotMet": ErrPrecondition,
	"TargetConditionNotMet": ErrPrecondition, "BlobAlreadyExists": ErrPrecondition,
	"PathAlreadyExists": ErrPrecondition,
	// Credentials and rights.
	"AccessDenied": ErrPermission, "Forbidden": ErrPermission, "InvalidAccessKeyId": ErrPermission,
	"SignatureDoesNotMatch": ErrPermission, "AllAccessDisabled": ErrPermission,
	"ExpiredToken": ErrPermission, "InvalidToken": ErrPermission,
	"TokenRefreshRequired": ErrPermission, "AccountProblem": ErrPermission,
	"AuthenticationFailed": ErrPermission, "AuthorizationFailure": ErrPermission,
	"AuthorizationPermissionMismatch": ErrPermission, "AuthorizationProtocolMismatch": ErrPermission,
	"AuthorizationResourceTypeMismatch": ErrPermission, "AuthorizationServiceMismatch": ErrPermission,
	"AuthorizationSourceIPMismatch": ErrPermission, "InsufficientAccountPermissions": ErrPermission,
	"AccountIsDisabled": ErrPermission, "ContainerDisabled": ErrPermission,
	// Slow down.
	"SlowDown": ErrThrottled, "Throttling": ErrThrottled, "ThrottlingException": ErrThrottled,
	"RequestLimitExceeded": ErrThrottled, "TooManyRequests": ErrThrottled,
	"TooManyRequestsException": ErrThrottled, "ServiceUnavailable": ErrThrottled,
	"RequestThrottled": ErrThrottled, "XMinioServerNotInitialized": ErrThrottled,
	"ServerBusy": ErrThrottled, "IngressOverAccountLimit": ErrThrottled,
	"EgressOverAccountLimit": ErrThrottled,
	// Ranges, sizes, names, features.
	"InvalidRange":   ErrInvalidRange,
	"EntityTooLarge": ErrTooLarge, "RequestBodyTooLarge": ErrTooLarge,
	"BlockCountExceedsLimit": ErrTooLarge, "BlockListTooLong": ErrTooLarge,
	"KeyTooLongError": ErrInvalidKey, "XMinioInvalidObjectName": ErrInvalidKey,
	"InvalidObjectName": ErrInvalidKey, "InvalidResourceName": ErrInvalidKey,
	"NotImplemented": ErrNotSupported, "XNotImplemented": ErrNotSupported,
	"MethodNotAllowed": ErrNotSupported, "InvalidMetadata": ErrNotSupported,
}
