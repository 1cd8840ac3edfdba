package vfs

import (
	"path"
	"strings"
)

// Paths inside vfs are slash-separated, relative to the mount root, with no
// leading or trailing slash; the root is "". The object key of a file is its
// path; a directory marker is path+"/" (S3 layout) or path with
// hdi_isfolder=true (Azure layout); an S3-layout symlink is path+".rclonelink".

const symlinkSuffix = ".rclonelink"

// join returns the path of name inside dir.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// parent returns the directory holding p ("" for top-level entries).
func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// base returns the last element of p.
func base(p string) string {
	return path.Base("/" + p)
}

// dirPrefix is the key prefix of everything inside directory p.
func dirPrefix(p string) string {
	if p == "" {
		return ""
	}
	return p + "/"
}

// validName reports whether name can be one element of a path.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsRune(name, '/') &&
		!strings.ContainsRune(name, 0)
}

// inside reports whether p is dir itself or lies below it.
func inside(p, dir string) bool {
	return p == dir || dir == "" || strings.HasPrefix(p, dir+"/")
}

// rebase moves p from below oldDir to below newDir. p must be inside oldDir.
func rebase(p, oldDir, newDir string) string {
	if p == oldDir {
		return newDir
	}
	rest := strings.TrimPrefix(p, dirPrefix(oldDir))
	return join(newDir, rest)
}
