// Package mounttab reads the kernel's mount table (/proc/self/mountinfo)
// and recognises cloudfuse mounts in it; the CLI and the CSI driver share
// it.
package mounttab

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// FSType is the filesystem type our mounts show in the mount table
// (go-fuse's subtype "cloudfuse" under the kernel's "fuse").
const FSType = "fuse.cloudfuse"

// Entry is one line of /proc/self/mountinfo.
type Entry struct {
	Point  string // mount point, unescaped
	FSType string // e.g. "fuse.cloudfuse"
	Source string // e.g. "cloudfuse:bucket"
}

// Ours says whether the entry is a cloudfuse mount.
func (e Entry) Ours() bool { return e.FSType == FSType }

// Read parses a mountinfo file (see proc(5)).
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	var out []Entry
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if e, ok := ParseLine(s.Text()); ok {
			out = append(out, e)
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	return out, nil
}

// ParseLine parses
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// where the optional fields end at "-".
func ParseLine(line string) (Entry, bool) {
	fields := strings.Fields(line)
	sep := -1
	for i := 6; i < len(fields); i++ {
		if fields[i] == "-" {
			sep = i
			break
		}
	}
	if len(fields) < 5 || sep < 0 || sep+2 >= len(fields) {
		return Entry{}, false
	}
	return Entry{
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

// Find returns the mount table entry for the mount point path (an
// absolute, symlink-free path), the last one if several are stacked.
func Find(entries []Entry, path string) (Entry, bool) {
	var found Entry
	ok := false
	for _, e := range entries {
		if e.Point == path {
			found, ok = e, true
		}
	}
	return found, ok
}
