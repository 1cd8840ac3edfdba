package health

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// RotatingFile is an append-only file that is renamed to path.1 (path.1
// to path.2, and so on) once writing more would take it past a size, so
// at most keep files exist: path and path.1 ... path.<keep-1>. It serves
// the daemon's log and the health monitor's output. Safe for concurrent
// use; one process should own a path.
type RotatingFile struct {
	path    string
	maxSize int64 // 0: never rotate
	keep    int

	mu       sync.Mutex
	f        *os.File
	size     int64
	compress bool           // rotated files are gzipped to path.N.gz
	gz       sync.WaitGroup // the compression of the last rotated file
	gzErr    error          // its error; written by it, read after gz.Wait
}

// Compress makes rotated files path.1.gz, path.2.gz ...: each is
// gzipped in the background as it is rotated out. Call it before the
// first Write.
func (r *RotatingFile) Compress() {
	r.mu.Lock()
	r.compress = true
	r.mu.Unlock()
}

// OpenRotating opens path for appending, creating it (and its directory)
// with mode perm. maxSize 0 turns rotation off; keep below 1 counts as 1.
func OpenRotating(path string, maxSize int64, keep int, perm os.FileMode) (*RotatingFile, error) {
	r := &RotatingFile{path: path, maxSize: maxSize, keep: max(keep, 1)}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := r.open(perm); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open(perm os.FileMode) error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, perm)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating first if p would take the file past its size.
// A single write is never split across files.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.maxSize > 0 && r.size > 0 && r.size+int64(len(p)) > r.maxSize {
		if err := r.rotate(); err != nil {
			// Keep writing to the old file rather than lose records.
			fmt.Fprintf(r.f, "cloudfuse: rotating %s failed: %v\n", r.path, err)
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts path.N-1 to path.N ... path to path.1 and starts a new
// path. The oldest file beyond keep is removed.
func (r *RotatingFile) rotate() error {
	st, err := r.f.Stat()
	if err != nil {
		return err
	}
	perm := st.Mode().Perm()
	if r.keep == 1 {
		if err := r.f.Truncate(0); err != nil {
			return err
		}
		r.size = 0
		return nil
	}
	// The file rotated out last time must be compressed before it moves.
	r.gz.Wait()
	if r.gzErr != nil {
		fmt.Fprintf(r.f, "cloudfuse: compressing %s failed: %v\n", r.plain(1), r.gzErr)
		r.gzErr = nil
	}
	for i := r.keep - 1; i >= 1; i-- {
		from := r.name(i - 1)
		to := r.name(i)
		if i == 1 && r.compress {
			to = r.plain(1) // compressed to name(1) below
		}
		if err := os.Rename(from, to); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	old := r.f
	if err := r.open(perm); err != nil {
		// path was moved; keep appending to the moved file.
		return err
	}
	old.Close()
	if r.compress {
		r.gz.Add(1)
		go func() {
			defer r.gz.Done()
			if err := gzipFile(r.plain(1), r.name(1), perm); err != nil {
				r.gzErr = err // read after gz.Wait
			}
		}()
	}
	return nil
}

// name is path for i = 0, else path.i, or path.i.gz when compressing.
func (r *RotatingFile) name(i int) string {
	if i == 0 {
		return r.path
	}
	if r.compress {
		return r.plain(i) + ".gz"
	}
	return r.plain(i)
}

// plain is path.i.
func (r *RotatingFile) plain(i int) string {
	return fmt.Sprintf("%s.%d", r.path, i)
}

// gzipFile compresses src into dst (through a temporary name, so dst is
// never half written) and removes src.
func gzipFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Remove(src)
}

// Close waits for a running compression and closes the current file.
func (r *RotatingFile) Close() error {
	r.gz.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
