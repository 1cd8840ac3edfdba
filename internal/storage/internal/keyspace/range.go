package keyspace

import (
	"fmt"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Clip turns a requested range into [start, end) within an object of size
// bytes, following S3: a range starting at or past the end of a non-empty
// object is invalid, one running past the end is cut short, and an empty
// object reads as empty from offset 0.
func Clip(size int64, opts storage.GetOptions) (start, end int64, err error) {
	if opts.Offset < 0 {
		return 0, 0, fmt.Errorf("negative offset %d", opts.Offset)
	}
	if size == 0 && opts.Offset == 0 {
		return 0, 0, nil
	}
	if opts.Offset >= size {
		return 0, 0, fmt.Errorf("offset %d is past the end of a %d-byte object", opts.Offset, size)
	}
	end = size
	if opts.Length >= 0 && opts.Length < size-opts.Offset {
		end = opts.Offset + opts.Length
	}
	return opts.Offset, end, nil
}
