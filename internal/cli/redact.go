package cli

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
)

// redactHandler keeps credentials out of every log line, whatever logged
// them: the configured secrets (keys, SAS tokens, client secrets, the
// config passphrase) wherever they appear, and anything that looks like a
// signature or key in a URL or connection string (a store's error may
// quote a request URL).
type redactHandler struct {
	inner   slog.Handler
	secrets *secretList // shared by the handlers WithAttrs and WithGroup make
}

// secretList is the list of values to scrub; a credential reload adds the
// new ones.
type secretList struct{ v atomic.Pointer[[]string] }

func (l *secretList) add(secrets ...string) {
	for {
		old := l.v.Load()
		next := []string{}
		if old != nil {
			next = append(next, *old...)
		}
		for _, s := range secrets {
			// Very short values would blank out ordinary words.
			if len(s) >= 4 && !slices.Contains(next, s) {
				next = append(next, s)
			}
		}
		if l.v.CompareAndSwap(old, &next) {
			return
		}
	}
}

func (l *secretList) all() []string {
	if p := l.v.Load(); p != nil {
		return *p
	}
	return nil
}

// credentialPattern matches the value of a credential-bearing parameter:
// SAS signatures, AWS presigned-URL signatures and credentials, and
// connection-string keys.
func credentialPattern() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:^|[?&\s;"'])(?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|accountkey|sharedaccesssignature)=)[^&\s;"']+`)
}

func newRedactHandler(inner slog.Handler, secrets []string) *redactHandler {
	h := &redactHandler{inner: inner, secrets: &secretList{}}
	h.secrets.add(secrets...)
	return h
}

// addSecrets makes the handler of log, if it is a redactHandler, scrub
// these values too.
func addSecrets(log *slog.Logger, secrets ...string) {
	if h, ok := log.Handler().(*redactHandler); ok {
		h.secrets.add(secrets...)
	}
}

func (h *redactHandler) scrub(s string) string {
	for _, sec := range h.secrets.all() {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	if strings.Contains(s, "=") {
		s = credentialPattern().ReplaceAllString(s, "${1}REDACTED")
	}
	return s
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.scrub(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]any, len(attrs))
		for i, g := range attrs {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.scrub(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.scrub(x.String()))
		}
		return slog.String(a.Key, h.scrub(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secrets: h.secrets}
}
