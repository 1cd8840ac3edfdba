package stream

import "context"

// The disk tier under a reader (ReaderOptions.Disk): a fetch takes the
// blocks the tier has from it, in order, and GETs the runs it lacks;
// the blocks each GET covered whole are written to the tier as it ends.
// Blocks are aligned to the tier's block size from the object's start, so
// every reader of a version finds the same blocks.

// getTiered is getInto over the disk tier.
func (r *Reader) getTiered(ctx context.Context, dst []byte, pos int64, progress func(int64)) (int, error) {
	t := r.opts.Disk
	bs := t.BlockSize()
	end := pos + int64(len(dst))
	var got int64
	for pos+got < end {
		p := pos + got
		idx := p / bs
		bstart := idx * bs
		blen := min(bs, r.obj.Size-bstart)
		n := min(bstart+blen, end) - p
		if n > 0 && t.Read(r.obj.Key, r.obj.ETag, idx, blen, p-bstart, dst[got:got+n]) {
			got += n
			if progress != nil {
				progress(got)
			}
			continue
		}
		// A run of blocks the tier lacks, fetched with one GET.
		runEnd := min((idx+1)*bs, end)
		for runEnd < end && !t.Has(r.obj.Key, r.obj.ETag, runEnd/bs) {
			runEnd = min(runEnd+bs, end)
		}
		var shifted func(int64)
		if progress != nil {
			base := got
			shifted = func(m int64) { progress(base + m) }
		}
		m, err := r.getStore(ctx, dst[got:got+runEnd-p], p, shifted)
		// The blocks that arrived whole go to the tier, also from a GET
		// cut short (a part dropped or canceled): whatever read the run
		// is for, a stream's part, a read outside the stream or a chunk
		// of Ranges.
		r.keep(dst[got:got+int64(m)], p)
		got += int64(m)
		if err != nil {
			return int(got), err
		}
	}
	return int(got), nil
}

// keep writes to the disk tier every block that data, the object's bytes
// at pos, covers whole.
func (r *Reader) keep(data []byte, pos int64) {
	t := r.opts.Disk
	if t == nil || r.obj.ETag == "" {
		return
	}
	bs := t.BlockSize()
	end := pos + int64(len(data))
	for idx := (pos + bs - 1) / bs; ; idx++ {
		bstart := idx * bs
		bend := min(bstart+bs, r.obj.Size)
		if bstart >= bend || bend > end {
			return
		}
		t.Write(r.obj.Key, r.obj.ETag, idx, data[bstart-pos:bend-pos])
	}
}
