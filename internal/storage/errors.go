package storage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap the store's own error in an *Error whose
// Kind is one of these, so errors.Is(err, ErrNotFound) works on every store
// and the SDK error still reaches the log.
var (
	ErrNotFound     = errors.New("object not found")
	ErrPrecondition = errors.New("precondition failed")
	ErrPermission   = errors.New("permission denied by store")
	ErrNotSupported = errors.New("not supported by store")
	ErrThrottled    = errors.New("throttled by store")
	ErrInvalidRange = errors.New("invalid range")
	ErrInvalidKey   = errors.New("invalid key")
	ErrTooLarge     = errors.New("object or part too large for store")
	ErrNoBucket     = errors.New("bucket or container does not exist")
)

// Error is a failed store operation.
type Error struct {
	Op   string // "head", "list", "get", "put", "upload", "copy", "delete"
	Key  string
	Kind error // one of the sentinels above, or nil
	Err  error // the underlying store or SDK error, or nil
}

func (e *Error) Error() string {
	switch {
	case e.Kind != nil && e.Err != nil:
		return fmt.Sprintf("%s %q: %v: %v", e.Op, e.Key, e.Kind, e.Err)
	case e.Kind != nil:
		return fmt.Sprintf("%s %q: %v", e.Op, e.Key, e.Kind)
	default:
		return fmt.Sprintf("%s %q: %v", e.Op, e.Key, e.Err)
	}
}

// Unwrap exposes both the sentinel and the store error to errors.Is/As.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Errorf builds an *Error. kind may be nil when no sentinel applies.
func Errorf(op, key string, kind, err error) error {
	return &Error{Op: op, Key: key, Kind: kind, Err: err}
}
