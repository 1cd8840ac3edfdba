package wrap

import (
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Windows cannot name a file with \ : * ? " < > | in it, or ending in a
// dot or a space. WindowsNames shows such object names with look-alike
// characters instead, as Cloudfuse does with restricted-characters-windows:
// each of those characters becomes its fullwidth form (":" is "："), and a
// name's trailing dot or space becomes "．" or "␠". Names going to the
// store are mapped back, so a file created as "a：b" is the object "a:b".
//
// The map is reversible for every name without those look-alikes: an
// object whose name already holds "：" shows as it is, but a file created
// with that name is stored with ":".
func WindowsNames(b storage.Backend) storage.Backend {
	m := &keyMap{
		b:    b,
		down: func(_, key string) (string, error) { return mapSegments(key, fromWindows), nil },
		up:   func(key string) string { return mapSegments(key, toWindows) },
		// A character the store refuses is refused in its look-alike too,
		// which would reach the store as that character.
		caps: func(c storage.Caps) storage.Caps {
			c.ReservedChars += windowsLookalikes.Replace(c.ReservedChars)
			return c
		},
	}
	return m.extend()
}

// windowsLookalikes pairs each character Windows refuses in a name with
// the character shown for it.
var windowsLookalikes = strings.NewReplacer(
	`\`, "＼", ":", "：", "*", "＊", "?", "？", `"`, "＂", "<", "＜", ">", "＞", "|", "｜")

var windowsOriginals = strings.NewReplacer(
	"＼", `\`, "：", ":", "＊", "*", "？", "?", "＂", `"`, "＜", "<", "＞", ">", "｜", "|")

// Shown for a trailing dot and a trailing space.
const (
	trailingDot   = "．"
	trailingSpace = "␠"
)

// toWindows is the name shown for the object name segment s.
func toWindows(s string) string {
	s = windowsLookalikes.Replace(s)
	switch {
	case strings.HasSuffix(s, "."):
		s = strings.TrimSuffix(s, ".") + trailingDot
	case strings.HasSuffix(s, " "):
		s = strings.TrimSuffix(s, " ") + trailingSpace
	}
	return s
}

// fromWindows is the object name segment for the shown name s.
func fromWindows(s string) string {
	switch {
	case strings.HasSuffix(s, trailingDot):
		s = strings.TrimSuffix(s, trailingDot) + "."
	case strings.HasSuffix(s, trailingSpace):
		s = strings.TrimSuffix(s, trailingSpace) + " "
	}
	return windowsOriginals.Replace(s)
}
