package storagetest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func objectCases() []testCase {
	return []testCase{
		{"RoundTrip", testObjectRoundTrip},
		{"Metadata", testObjectMetadata},
		{"MetadataReplacedOnOverwrite", testObjectMetadataReplaced},
		{"ETag", testObjectETag},
		{"Empty", testObjectEmpty},
		{"PutFromCurrentPosition", testObjectPutFromPosition},
		{"ConcurrentPutsSameKey", testObjectConcurrentPuts},
		{"Delete", testObjectDelete},
	}
}

func testObjectRoundTrip(t *testing.T, b storage.Backend) {
	data := Data(1, 100_000)
	before := time.Now()
	put := MustPut(t, b, "obj", data)
	if put.Key != "obj" || put.Size != int64(len(data)) || put.ETag == "" {
		t.Fatalf("put returned %+v", put)
	}
	head := MustHead(t, b, "obj")
	if head.Key != "obj" || head.Size != int64(len(data)) {
		t.Fatalf("head returned %+v", head)
	}
	if d := head.LastModified.Sub(before); d < -10*time.Minute || d > 10*time.Minute {
		t.Fatalf("LastModified %v is far from now %v", head.LastModified, before)
	}
	got, obj, err := GetBytes(t.Context(), b, "obj", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("get returned %d bytes that differ from the %d put", len(got), len(data))
	}
	if obj.Key != "obj" || obj.Size != head.Size || obj.ETag != head.ETag {
		t.Fatalf("get described %+v, head %+v", obj, head)
	}
}

func testObjectMetadata(t *testing.T, b storage.Backend) {
	meta := map[string]string{
		"mode":       "0100644",
		"mtime":      "1700000000.123456789",
		"owner_name": "alice smith",
	}
	in := map[string]string{"mode": meta["mode"], "mtime": meta["mtime"], "Owner_Name": meta["owner_name"]}
	MustPutOpts(t, b, "m", []byte("x"), storage.PutOptions{Metadata: in, ContentType: "text/plain"})

	head := MustHead(t, b, "m")
	if !EqualMetadata(head.Metadata, meta) {
		t.Fatalf("head metadata = %v, want %v (keys lower-cased)", head.Metadata, meta)
	}
	if head.ContentType != "text/plain" {
		t.Fatalf("head content type = %q", head.ContentType)
	}
	_, got, err := GetBytes(t.Context(), b, "m", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !EqualMetadata(got.Metadata, meta) || got.ContentType != "text/plain" {
		t.Fatalf("get described metadata %v type %q, want %v", got.Metadata, got.ContentType, meta)
	}
	// A listing either carries the whole metadata (always, with
	// Caps.ListMetadata) or none (nil).
	objs, _ := MustListAll(t, b, storage.ListOptions{Prefix: "m"})
	if len(objs) != 1 {
		t.Fatalf("listing gave %+v", objs)
	}
	if (b.Caps().ListMetadata || objs[0].Metadata != nil) && !EqualMetadata(objs[0].Metadata, meta) {
		t.Fatalf("listing gave metadata %v, want %v", objs[0].Metadata, meta)
	}

	MustPut(t, b, "plain", []byte("y"))
	if h := MustHead(t, b, "plain"); len(h.Metadata) != 0 {
		t.Fatalf("object put without metadata has %v", h.Metadata)
	}
	if objs, _ := MustListAll(t, b, storage.ListOptions{Prefix: "plain"}); len(objs) != 1 || len(objs[0].Metadata) != 0 {
		t.Fatalf("listing of an object without metadata gave %+v", objs)
	}
}

func testObjectMetadataReplaced(t *testing.T, b storage.Backend) {
	MustPutOpts(t, b, "k", []byte("1"), storage.PutOptions{Metadata: map[string]string{"a": "1", "b": "2"}})
	MustPutOpts(t, b, "k", []byte("2"), storage.PutOptions{Metadata: map[string]string{"c": "3"}})
	if h := MustHead(t, b, "k"); !EqualMetadata(h.Metadata, map[string]string{"c": "3"}) {
		t.Fatalf("overwrite merged metadata: %v", h.Metadata)
	}
	MustPut(t, b, "k", []byte("3"))
	if h := MustHead(t, b, "k"); len(h.Metadata) != 0 {
		t.Fatalf("overwrite without metadata kept %v", h.Metadata)
	}
}

func testObjectETag(t *testing.T, b storage.Backend) {
	put := MustPut(t, b, "e", []byte("first"))
	h1 := MustHead(t, b, "e")
	h2 := MustHead(t, b, "e")
	if h1.ETag == "" || h1.ETag != h2.ETag || put.ETag != h1.ETag {
		t.Fatalf("ETag not stable: put %q, head %q, head %q", put.ETag, h1.ETag, h2.ETag)
	}
	if strings.Contains(h1.ETag, `"`) {
		t.Fatalf("ETag %q keeps its quotes", h1.ETag)
	}
	objs, _ := MustListAll(t, b, storage.ListOptions{})
	if len(objs) != 1 || objs[0].ETag != h1.ETag || objs[0].Size != 5 {
		t.Fatalf("listing gave %+v, head %+v", objs, h1)
	}

	// A different key with the same content does not disturb this one.
	MustPut(t, b, "e2", []byte("first"))
	if h := MustHead(t, b, "e"); h.ETag != h1.ETag {
		t.Fatalf("ETag changed from %q to %q without a write", h1.ETag, h.ETag)
	}

	put2 := MustPut(t, b, "e", []byte("second, longer"))
	h3 := MustHead(t, b, "e")
	if h3.ETag == h1.ETag || put2.ETag != h3.ETag {
		t.Fatalf("ETag after overwrite: put %q head %q, before %q", put2.ETag, h3.ETag, h1.ETag)
	}
	if h3.Size != int64(len("second, longer")) {
		t.Fatalf("size after overwrite = %d", h3.Size)
	}
}

func testObjectEmpty(t *testing.T, b storage.Backend) {
	put := MustPut(t, b, "empty", nil)
	if put.Size != 0 || put.ETag == "" {
		t.Fatalf("put of an empty object returned %+v", put)
	}
	if h := MustHead(t, b, "empty"); h.Size != 0 {
		t.Fatalf("head of an empty object: %+v", h)
	}
	got, obj, err := GetBytes(t.Context(), b, "empty", storage.GetOptions{Length: -1})
	if err != nil || len(got) != 0 || obj.Size != 0 {
		t.Fatalf("get of an empty object: %q %+v %v", got, obj, err)
	}
}

func testObjectPutFromPosition(t *testing.T, b storage.Backend) {
	data := []byte("skip-this|keep this part")
	r := bytes.NewReader(data)
	if _, err := r.Seek(10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	obj, err := b.Put(t.Context(), "pos", r, storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(data)-10) {
		t.Fatalf("put from offset 10 returned size %d", obj.Size)
	}
	MustContain(t, b, "pos", data[10:])
}

// Concurrent whole-object writes to one key leave exactly one of them, never
// a mix, and Head agrees with Get.
func testObjectConcurrentPuts(t *testing.T, b storage.Backend) {
	const n = 8
	versions := make([][]byte, n)
	for i := range versions {
		versions[i] = Data(uint64(100+i), 20_000+i)
	}
	var g errgroup.Group
	for _, v := range versions {
		g.Go(func() error {
			_, err := b.Put(t.Context(), "race", bytes.NewReader(v), storage.PutOptions{})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got, obj, err := GetBytes(t.Context(), b, "race", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range versions {
		found = found || bytes.Equal(got, v)
	}
	if !found {
		t.Fatalf("after concurrent puts the object (%d bytes) is none of the versions written", len(got))
	}
	if h := MustHead(t, b, "race"); h.ETag != obj.ETag || h.Size != int64(len(got)) {
		t.Fatalf("head %+v disagrees with get %+v", h, obj)
	}
}

func testObjectDelete(t *testing.T, b storage.Backend) {
	if err := b.Delete(t.Context(), "never-existed"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if err := b.Delete(t.Context(), "missing/dir/"); err != nil {
		t.Fatalf("deleting a missing marker: %v", err)
	}
	MustPut(t, b, "d/", nil)
	MustPut(t, b, "d/f", []byte("f"))
	if err := b.Delete(t.Context(), "d/"); err != nil {
		t.Fatal(err)
	}
	MustNotExist(t, b, "d/")
	MustContain(t, b, "d/f", []byte("f"))
	if err := b.Delete(t.Context(), "d/f"); err != nil {
		t.Fatal(err)
	}
	MustNotExist(t, b, "d/f")
	if err := b.Delete(t.Context(), "d/f"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}

	// Concurrent deletes of many keys all succeed.
	var keys []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf("many/%02d", i))
	}
	MustPutMany(t, b, keys)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			if err := b.Delete(t.Context(), k); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if objs, prefixes := MustListAll(t, b, storage.ListOptions{}); len(objs)+len(prefixes) != 0 {
		t.Fatalf("left after deleting everything: %q %q", Keys(objs), prefixes)
	}
}
