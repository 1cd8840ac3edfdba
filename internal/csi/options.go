//go:build linux

package csi

import (
	"fmt"
	"strconv"
	"strings"
)

// mountArgs turns a PersistentVolume's mountOptions into cloudfuse mount
// flags (region and prefix change the volume v instead). Two dialects
// are accepted, as cluster users write them:
//
//   - blob-csi-driver's: BlobFuse2 (and BlobFuse v1) flags such as
//     "--file-cache-timeout-in-seconds=120", "--use-adls=true" and
//     "-o allow_other", passed on as they are (cloudfuse accepts every
//     BlobFuse2 mount flag; one it does not know fails the mount);
//   - mountpoint-s3-csi-driver's: bare words "allow-other", "uid=1000",
//     "gid=1000", "dir-mode=755", "file-mode=644", "region us-west-2",
//     "prefix some/dir/", "read-only", mapped to ours.
//
// An option of neither is an error naming it.
func mountArgs(opts []string, v *volume) (args []string, err error) {
	var fileMode, dirMode string
	for _, raw := range opts {
		for _, o := range splitOption(raw) {
			switch {
			case strings.HasPrefix(o, "-"):
				if o == "-o" {
					continue // the value follows as its own word
				}
				args = append(args, o)
				continue
			case strings.Contains(o, ",") || isFuseOption(o):
				args = append(args, "-o", o)
				continue
			}
			name, val, hasVal := strings.Cut(o, "=")
			if !hasVal {
				name, val, hasVal = strings.Cut(o, " ")
				val = strings.TrimSpace(val)
			}
			switch name {
			case "allow-other", "allow-root":
				args = append(args, "--allow-other")
			case "read-only":
				args = append(args, "--read-only")
			case "uid", "gid":
				if _, err := strconv.ParseUint(val, 10, 32); err != nil {
					return nil, fmt.Errorf("mount option %q: %s must be a number", o, name)
				}
				args = append(args, "-o", name+"="+val)
			case "file-mode":
				fileMode = val
			case "dir-mode":
				dirMode = val
			case "region":
				v.region = val
			case "prefix":
				v.prefix = strings.Trim(strings.Trim(v.prefix, "/")+"/"+strings.Trim(val, "/"), "/")
			case "debug", "debug-crt":
				args = append(args, "--log-level=LOG_DEBUG")
			default:
				return nil, fmt.Errorf("unknown mount option %q: use cloudfuse or BlobFuse2 flags (--name=value), -o FUSE options, or Mountpoint's allow-other, uid, gid, dir-mode, file-mode, region, prefix, read-only", o)
			}
			if !hasVal && needsValue(name) {
				return nil, fmt.Errorf("mount option %q needs a value", o)
			}
		}
	}
	m, err := modeArgs(fileMode, dirMode)
	if err != nil {
		return nil, err
	}
	return append(args, m...), nil
}

// splitOption splits "-o allow_other" into its two words and leaves any
// other option whole.
func splitOption(o string) []string {
	o = strings.TrimSpace(o)
	if rest, ok := strings.CutPrefix(o, "-o "); ok {
		return []string{"-o", strings.TrimSpace(rest)}
	}
	if o == "" {
		return nil
	}
	return []string{o}
}

// isFuseOption says o is a FUSE -o option written bare in mountOptions.
func isFuseOption(o string) bool {
	name, _, _ := strings.Cut(o, "=")
	switch name {
	case "allow_other", "allow_root", "ro", "rw", "default_permissions", "direct_io", "attr_timeout",
		"entry_timeout", "negative_timeout", "umask", "nonempty", "max_read":
		return true
	}
	return false
}

func needsValue(name string) bool {
	switch name {
	case "uid", "gid", "file-mode", "dir-mode", "region", "prefix":
		return true
	}
	return false
}

// modeArgs maps Mountpoint's file-mode and dir-mode to a umask over
// cloudfuse's defaults (0644 files, 0755 directories): both must come
// from one umask, as they do in every pair users write (644/755,
// 600/700, 640/750, 444/555).
func modeArgs(file, dir string) ([]string, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	parse := func(s, def string) (uint64, error) {
		if s == "" {
			s = def
		}
		return strconv.ParseUint(s, 8, 32)
	}
	f, err := parse(file, "644")
	if err != nil || f > 0o777 {
		return nil, fmt.Errorf("file-mode %q: expected octal permissions such as 644", file)
	}
	d, err := parse(dir, "755")
	if err != nil || d > 0o777 {
		return nil, fmt.Errorf("dir-mode %q: expected octal permissions such as 755", dir)
	}
	umask := 0o777 &^ d
	if dir == "" {
		umask = 0o644 &^ f
	}
	okFile := file == "" || (0o644&^umask == f && f&^0o644 == 0)
	okDir := dir == "" || 0o755&^umask == d
	if !okFile || !okDir {
		return nil, fmt.Errorf("file-mode %s and dir-mode %s: cloudfuse derives both from one umask over 644 and 755; pick a pair such as 644/755, 640/750 or 600/700", file, dir)
	}
	return []string{"-o", fmt.Sprintf("umask=%03o", umask)}, nil
}
