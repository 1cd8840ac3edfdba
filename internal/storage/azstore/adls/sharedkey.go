package adls

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// sharedKey signs requests with the account key, following the documented
// Shared Key scheme for the blob, queue, file and dfs services (version
// 2009-09-19 and later):
//
//	Authorization: SharedKey <account>:base64(HMAC-SHA256(key, StringToSign))
//
// StringToSign is the verb, eleven standard headers (Content-Length empty
// when zero), the canonicalized x-ms-* headers and the canonicalized
// resource, each line ended by "\n" except the last.
type sharedKey struct {
	account string
	key     atomic.Pointer[[]byte] // replaced when the key rotates
}

func newSharedKey(account, key string) (*sharedKey, error) {
	s := &sharedKey{account: account}
	return s, s.set(key)
}

// set replaces the key; requests signed after it use the new one.
func (s *sharedKey) set(key string) error {
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return fmt.Errorf("account key is not base64: %w", err)
	}
	s.key.Store(&k)
	return nil
}

// Do implements policy.Policy. It runs on every try: the date changes.
func (s *sharedKey) Do(req *policy.Request) (*http.Response, error) {
	r := req.Raw()
	r.Header.Set("x-ms-date", time.Now().UTC().Format(http.TimeFormat))
	r.Header.Set("Authorization", "SharedKey "+s.account+":"+s.sign(r))
	return req.Next()
}

// sign returns the signature of r.
func (s *sharedKey) sign(r *http.Request) string {
	m := hmac.New(sha256.New, *s.key.Load())
	m.Write([]byte(s.stringToSign(r)))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *sharedKey) stringToSign(r *http.Request) string {
	h := r.Header
	length := h.Get("Content-Length")
	if length == "" && r.ContentLength > 0 {
		length = fmt.Sprint(r.ContentLength)
	}
	if length == "0" {
		length = ""
	}
	lines := []string{
		r.Method,
		h.Get("Content-Encoding"),
		h.Get("Content-Language"),
		length,
		h.Get("Content-MD5"),
		h.Get("Content-Type"),
		"", // Date: x-ms-date is always set
		h.Get("If-Modified-Since"),
		h.Get("If-Match"),
		h.Get("If-None-Match"),
		h.Get("If-Unmodified-Since"),
		h.Get("Range"),
	}
	return strings.Join(lines, "\n") + "\n" + canonicalHeaders(h) + s.canonicalResource(r.URL)
}

// canonicalHeaders lists the x-ms-* headers, lower-cased and sorted, one
// "name:value\n" line each.
func canonicalHeaders(h http.Header) string {
	vals := map[string][]string{}
	var names []string
	for k, vs := range h {
		lk := strings.ToLower(strings.TrimSpace(k))
		if !strings.HasPrefix(lk, "x-ms-") {
			continue
		}
		if _, ok := vals[lk]; !ok {
			names = append(names, lk)
		}
		for _, v := range vs {
			vals[lk] = append(vals[lk], strings.TrimSpace(v))
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(vals[n], ",") + "\n")
	}
	return b.String()
}

// canonicalResource is "/<account><escaped path>" and one
// "\nname:v1,v2" line per query parameter, names lower-cased and sorted,
// values decoded and sorted.
func (s *sharedKey) canonicalResource(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.WriteString("/" + s.account + path)
	q := u.Query()
	params := map[string][]string{}
	var names []string
	for k, v := range q {
		lk := strings.ToLower(k)
		if _, ok := params[lk]; !ok {
			names = append(names, lk)
		}
		params[lk] = append(params[lk], v...)
	}
	sort.Strings(names)
	for _, n := range names {
		vals := params[n]
		sort.Strings(vals)
		b.WriteString("\n" + n + ":" + strings.Join(vals, ","))
	}
	return b.String()
}
