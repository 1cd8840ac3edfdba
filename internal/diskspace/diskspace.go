// Package diskspace tells how big the filesystem holding a directory is
// and how much of it the process may still use.
package diskspace

// Usage is the size of a filesystem and what this process may still
// write on it, in bytes.
type Usage struct {
	Total int64
	Avail int64
}

// Used is what the caller cannot use: the total less what is available.
func (u Usage) Used() int64 { return u.Total - u.Avail }

// Of returns the usage of the filesystem holding dir.
func Of(dir string) (Usage, error) { return of(dir) }
