package cli

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// fsType is the filesystem type our mounts show in the mount table
// (go-fuse's subtype "cloudfuse" under the kernel's "fuse").
const fsType = "fuse.cloudfuse"

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	Point  string // mount point, unescaped
	FSType string // e.g. "fuse.cloudfuse"
	Source string // e.g. "cloudfuse:bucket"
}

// ours says whether the entry is a cloudfuse mount.
func (e mountEntry) ours() bool { return e.FSType == fsType }

// readMountInfo parses a mountinfo file (see proc(5)).
func readMountInfo(path string) ([]mountEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	var out []mountEntry
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if e, ok := parseMountInfoLine(s.Text()); ok {
			out = append(out, e)
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	return out, nil
}

// parseMountInfoLine parses
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// where the optional fields end at "-".
func parseMountInfoLine(line string) (mountEntry, bool) {
	fields := strings.Fields(line)
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if len(fields) < 5 || sep < 0 || sep+2 >= len(fields) {
		return mountEntry{}, false
	}
	return mountEntry{
		Point:  unescapeOctal(fields[4]),
		FSType: fields[sep+1],
		Source: unescapeOctal(fields[sep+2]),
	}, true
}

// unescapeOctal undoes the kernel's \ooo escapes of space, tab, newline
// and backslash in mount table fields.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// findMount returns the mount table entry for the mount point path (an
// absolute, symlink-free path), the last one if several are stacked.
func findMount(entries []mountEntry, path string) (mountEntry, bool) {
	var found mountEntry
	ok := false
	for _, e := range entries {
		if e.Point == path {
			found, ok = e, true
		}
	}
	return found, ok
}
