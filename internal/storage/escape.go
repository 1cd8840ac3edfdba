package storage

import "strings"

// EscapeKey percent-encodes s byte by byte: everything but RFC 3986
// unreserved characters and "/" becomes %XX (upper-case hex), so "+",
// "%", "#", "?", spaces and non-ASCII bytes survive a URL or a metadata
// value unchanged. S3's copy source and s3fs's xattr entry use it.
func EscapeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
