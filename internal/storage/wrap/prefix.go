package wrap

import (
	"errors"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Prefix shows the keys of b under prefix as a store of their own, the way
// a mount of a subdirectory (--subdirectory) sees them: keys gain the
// prefix on the way in and lose it on the way out, in listings' objects,
// common prefixes and StartAfter too. Surrounding slashes in prefix do not
// matter: "a/b", "/a/b/" and "a/b/" all mean the keys under "a/b/". The
// directory marker of the prefix itself ("a/b/") is not an object of the
// view and never listed. An empty prefix returns b unchanged.
func Prefix(b storage.Backend, prefix string) storage.Backend {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return b
	}
	prefix += "/"
	m := &keyMap{
		b: b,
		down: func(op, key string) (string, error) {
			// The empty key would name the prefix's own marker; a listing
			// of the whole view asks for the prefix.
			if key == "" && op != "list" && op != "uploads" {
				return "", storage.Errorf(op, key, storage.ErrInvalidKey, errEmptyKey)
			}
			return prefix + key, nil
		},
		up:   func(key string) string { return strings.TrimPrefix(key, prefix) },
		hide: func(key string) bool { return key == prefix }, // the marker of the view's root
		caps: func(c storage.Caps) storage.Caps {
			c.MaxKeyLen -= len(prefix) // room for the prefix
			return c
		},
	}
	return m.extend()
}

var errEmptyKey = errors.New("empty key")
