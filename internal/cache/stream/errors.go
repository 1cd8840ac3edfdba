package stream

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

var (
	// ErrStale means the object changed (or vanished) on the store since
	// the Reader was opened: its ETag no longer matches. The error also
	// matches the store's storage.ErrPrecondition or storage.ErrNotFound.
	// The handle should be reopened on the new version.
	ErrStale = errors.New("object changed on the store since it was opened")

	// ErrNotSequential is returned by Writer.WriteAt for a write anywhere
	// but at the current end. Nothing of the write was taken; the caller
	// can fall back to staging the file.
	ErrNotSequential = errors.New("write is not at the end of the streamed file")

	// ErrOverBudget is returned for a request larger than the whole memory
	// budget, which could never be granted.
	ErrOverBudget = errors.New("request exceeds the memory budget")

	// ErrClosed is returned by calls on a closed Reader or Writer. It is
	// fs.ErrClosed.
	ErrClosed = fs.ErrClosed
)

// staleError carries ErrStale and the store's error.
type staleError struct{ err error }

func (e *staleError) Error() string   { return fmt.Sprintf("%v: %v", ErrStale, e.err) }
func (e *staleError) Unwrap() []error { return []error{ErrStale, e.err} }

// classify turns a store error on a pinned Get into ErrStale where the
// version is gone.
func classify(err error) error {
	if errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrNotFound) {
		return &staleError{err: err}
	}
	return err
}
