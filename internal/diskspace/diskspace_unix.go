//go:build unix

package diskspace

import "golang.org/x/sys/unix"

func of(dir string) (Usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return Usage{}, err
	}
	bs := int64(st.Bsize)
	return Usage{Total: int64(st.Blocks) * bs, Avail: int64(st.Bavail) * bs}, nil
}
