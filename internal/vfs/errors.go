package vfs

import (
	"errors"
	"io/fs"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
)

// Portable errors returned by vfs. fusefs maps them (and the storage
// sentinels) to errno values in its one table.
var (
	ErrNotExist    = fs.ErrNotExist
	ErrExist       = fs.ErrExist
	ErrNotEmpty    = errors.New("directory not empty")
	ErrIsDir       = errors.New("is a directory")
	ErrNotDir      = errors.New("not a directory")
	ErrInvalid     = errors.New("invalid argument")
	ErrNameTooLong = errors.New("name too long")
	ErrReadOnly    = errors.New("read-only file system")
	ErrNotSupp     = errors.New("operation not supported")
	ErrStale       = errors.New("object changed while open")
	ErrNoSpace     = errors.New("no space left in cache")
	ErrFileTooBig  = errors.New("file too large for the store")
	ErrBadHandle   = errors.New("bad file handle")
	ErrPerm        = errors.New("operation not permitted")
	// ErrLost says a file's unsaved changes were dropped because the
	// cache could not take them (content.ErrLost); it comes wrapped with
	// the cause (ENOSPC).
	ErrLost = content.ErrLost
)
