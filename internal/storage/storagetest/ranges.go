package storagetest

import (
	"bytes"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func rangeCases() []testCase {
	return []testCase{
		{"Edges", testRangeEdges},
		{"PastEnd", testRangePastEnd},
		{"EmptyObject", testRangeEmpty},
	}
}

func testRangeEdges(t *testing.T, b storage.Backend) {
	data := Data(7, 1000)
	put := MustPut(t, b, "r", data)
	cases := []struct {
		off, n int64
		want   []byte
	}{
		{0, -1, data},
		{0, 1, data[:1]},
		{0, 10, data[:10]},
		{0, 1000, data},
		{1, 998, data[1:999]},
		{500, -1, data[500:]},
		{999, 1, data[999:]},
		{999, -1, data[999:]},
		{990, 50, data[990:]}, // clipped at the end
		{0, 5000, data},       // clipped at the end
		{123, 456, data[123:579]},
	}
	for _, c := range cases {
		got, obj, err := GetBytes(t.Context(), b, "r", storage.GetOptions{Offset: c.off, Length: c.n})
		if err != nil {
			t.Fatalf("get [%d,+%d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(got, c.want) {
			t.Fatalf("get [%d,+%d): %d bytes, want %d", c.off, c.n, len(got), len(c.want))
		}
		if obj.Size != 1000 || obj.ETag != put.ETag {
			t.Fatalf("get [%d,+%d) described %+v; want the whole object", c.off, c.n, obj)
		}
	}
}

func testRangePastEnd(t *testing.T, b storage.Backend) {
	MustPut(t, b, "r", Data(8, 100))
	for _, off := range []int64{100, 101, 1 << 40} {
		for _, n := range []int64{-1, 1, 10} {
			_, _, err := GetBytes(t.Context(), b, "r", storage.GetOptions{Offset: off, Length: n})
			RequireKind(t, err, storage.ErrInvalidRange)
		}
	}
}

func testRangeEmpty(t *testing.T, b storage.Backend) {
	MustPut(t, b, "e", nil)
	for _, n := range []int64{-1, 10} {
		got, obj, err := GetBytes(t.Context(), b, "e", storage.GetOptions{Length: n})
		if err != nil || len(got) != 0 || obj.Size != 0 {
			t.Fatalf("get of an empty object, length %d: %q %+v %v", n, got, obj, err)
		}
	}
}
