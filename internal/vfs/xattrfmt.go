package vfs

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// metaXattr is the one metadata entry that holds every extended attribute
// of an object, in the format s3fs uses (x-amz-meta-xattr on S3), so
// buckets written by s3fs keep their attributes through us and the
// reverse. The same name is a valid Azure metadata name.
//
// The value is a JSON-like object {"name":"base64(value)",...} with names
// in byte order, percent-encoded as a whole: every byte other than
// A-Z a-z 0-9 . - _ ~ / becomes %XX (upper-case hex). A name holding a
// double quote, a comma or a colon cannot be written in this format (s3fs
// splits on them without escapes); such names are refused.
const metaXattr = "xattr"

// xattrNameOK reports whether name can be stored in the s3fs format.
func xattrNameOK(name string) bool {
	return !strings.ContainsAny(name, "\",:")
}

// encodeXattrs returns the metadata value for attrs; "" when attrs is
// empty (the entry is then left out, as s3fs does).
func encodeXattrs(attrs map[string][]byte) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(name)
		b.WriteString(`":"`)
		b.WriteString(base64.StdEncoding.EncodeToString(attrs[name]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return storage.EscapeKey(b.String())
}

// decodeXattrs parses a metadata value written by encodeXattrs or by s3fs.
// It is as forgiving as s3fs: a malformed pair is skipped, not fatal.
func decodeXattrs(s string) map[string][]byte {
	out := map[string][]byte{}
	if s == "" {
		return out
	}
	js := percentDecode(s)
	start := strings.IndexByte(js, '{')
	end := strings.LastIndexByte(js, '}')
	if start < 0 || end <= start {
		return out
	}
	for _, pair := range strings.Split(js[start+1:end], ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, ":")
		if !ok {
			continue
		}
		name, ok1 := unquote(k)
		enc, ok2 := unquote(val)
		if !ok1 || !ok2 || name == "" {
			continue
		}
		data, err := decodeBase64(enc)
		if err != nil {
			continue
		}
		out[name] = data
	}
	return out
}

// unquote returns what lies between the first and the last double quote
// of s (s itself when it has none); ok is false for an odd quote.
func unquote(s string) (string, bool) {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return strings.TrimSpace(s), true
	}
	j := strings.LastIndexByte(s, '"')
	if j <= i {
		return "", false
	}
	inner := s[i+1 : j]
	if strings.IndexByte(inner, '"') >= 0 {
		return "", false
	}
	return inner, true
}

// decodeBase64 reads standard base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// percentDecode undoes storage.EscapeKey; a '%' not followed by two hex digits
// is kept as it is.
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
