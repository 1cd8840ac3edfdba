// Package keyspace holds the key rules and listing logic shared by stores
// that keep their own keys (memstore, dirstore): key validation, metadata
// normalisation, and building S3-shaped listing pages with opaque
// continuation tokens from keys visited in lexical order.
package keyspace

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// CheckKey reports why key is not a valid object key, wrapped as
// ErrInvalidKey for op, or nil. Keys are non-empty UTF-8 of at most maxLen
// bytes, without NUL, a leading "/" or an empty segment ("a//b"); a single
// trailing "/" (a directory marker) is allowed.
func CheckKey(op, key string, maxLen int) error {
	var why string
	switch {
	case key == "":
		why = "empty key"
	case len(key) > maxLen:
		why = fmt.Sprintf("key is %d bytes, the limit is %d", len(key), maxLen)
	case !utf8.ValidString(key):
		why = "key is not UTF-8"
	case strings.IndexByte(key, 0) >= 0:
		why = "key contains NUL"
	case key[0] == '/':
		why = "key starts with /"
	case strings.Contains(key, "//"):
		why = "key has an empty segment"
	default:
		return nil
	}
	return storage.Errorf(op, key, storage.ErrInvalidKey, errors.New(why))
}

// Metadata returns a copy of m with lower-case keys, or an ErrTooLarge error
// when keys and values together exceed maxBytes. A nil or empty map gives
// nil.
func Metadata(op, key string, m map[string]string, maxBytes int) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	total := 0
	for k, v := range m {
		if k == "" {
			return nil, storage.Errorf(op, key, nil, errors.New("empty metadata key"))
		}
		out[strings.ToLower(k)] = v
		total += len(k) + len(v)
	}
	if total > maxBytes {
		return nil, storage.Errorf(op, key, storage.ErrTooLarge,
			fmt.Errorf("metadata is %d bytes, the limit is %d", total, maxBytes))
	}
	return out, nil
}

// CloneMetadata copies m; nil stays nil.
func CloneMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
