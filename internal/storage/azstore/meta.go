package azstore

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Azure metadata names are C# identifiers (letters, digits and "_", not
// starting with a digit), compared without regard to case. We send names
// as given and return them lower-cased: the service keeps the case it was
// given, but HTTP header canonicalization does not.

// validName reports whether name is a valid Azure metadata name.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// toAzureMeta checks user metadata and converts it for the SDK. A nil map
// stays nil.
func toAzureMeta(op, key string, md map[string]string) (map[string]*string, error) {
	if md == nil {
		return nil, nil
	}
	out := make(map[string]*string, len(md))
	total := 0
	for k, v := range md {
		if !validName(k) {
			return nil, storage.Errorf(op, key, storage.ErrNotSupported,
				fmt.Errorf("metadata name %q is not valid on Azure (letters, digits and _, not starting with a digit)", k))
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, storage.Errorf(op, key, storage.ErrNotSupported,
				fmt.Errorf("metadata value of %q contains a line break", k))
		}
		total += len(k) + len(v)
		out[strings.ToLower(k)] = &v
	}
	if total > maxMetadataBytes {
		return nil, storage.Errorf(op, key, storage.ErrTooLarge,
			fmt.Errorf("metadata is %d bytes, Azure allows %d", total, maxMetadataBytes))
	}
	return out, nil
}

// fromAzureMeta converts SDK metadata, lower-casing names. It never
// returns nil, so a store answer is told apart from "not known".
func fromAzureMeta(md map[string]*string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		if v != nil {
			out[strings.ToLower(k)] = *v
		}
	}
	return out
}

// copyMeta returns a lower-cased copy of md (nil stays nil).
func copyMeta(md map[string]string) map[string]string {
	if md == nil {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[strings.ToLower(k)] = v
	}
	return out
}

// etagOf strips the quotes the service puts around ETags in headers.
func etagOf(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return strings.Trim(string(*e), `"`)
}

// quoted turns a stored ETag back into a condition value.
func quoted(etag string) *azcore.ETag {
	if etag == "" {
		return nil
	}
	if etag == "*" {
		return to.Ptr(azcore.ETagAny)
	}
	e := azcore.ETag(`"` + strings.Trim(etag, `"`) + `"`)
	return &e
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// checkKey rejects keys Azure cannot hold.
func checkKey(op, key string) error {
	if key == "" || len(key) > maxKeyLen {
		return storage.Errorf(op, key, storage.ErrInvalidKey,
			fmt.Errorf("blob names are 1 to %d bytes", maxKeyLen))
	}
	return nil
}
