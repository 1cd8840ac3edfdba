package memstore

import (
	"context"
	"sort"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// List returns one page of keys in lexical order.
func (s *Store) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	if err := s.begin(ctx, "list", opts.Prefix); err != nil {
		return storage.ListPage{}, err
	}
	page, err := keyspace.NewPage(opts)
	if err != nil {
		return storage.ListPage{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()

	// Start at the first key that is both >= the prefix and > after.
	i := s.search(max(opts.Prefix, page.After()))
	for i < len(s.keys) {
		key := s.keys[i]
		if !strings.HasPrefix(key, opts.Prefix) {
			break // keys under the prefix are contiguous
		}
		o := s.objects[key]
		if !page.Add(key, func() (storage.Object, bool) { return o.describe(key, s.caps.ListMetadata), true }) {
			break
		}
		if rolled := page.RolledUp(); rolled != "" && strings.HasPrefix(key, rolled) {
			// Jump over the rest of the keys rolled into this prefix.
			i = s.searchPastPrefix(rolled, i+1)
			continue
		}
		i++
	}
	return page.Result(), nil
}

// search returns the index of the first key >= k.
func (s *Store) search(k string) int {
	return sort.SearchStrings(s.keys, k)
}

// searchPastPrefix returns the index of the first key at or after from that
// does not start with prefix.
func (s *Store) searchPastPrefix(prefix string, from int) int {
	rest := s.keys[from:]
	n := sort.Search(len(rest), func(j int) bool {
		k := rest[j]
		return k > prefix && !strings.HasPrefix(k, prefix)
	})
	return from + n
}
