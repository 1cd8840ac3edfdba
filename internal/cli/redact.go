package cli

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// redactHandler keeps credentials out of every log line, whatever logged
// them: the configured secrets (keys, SAS tokens, client secrets, the
// config passphrase) wherever they appear, and anything that looks like a
// signature or key in a URL or connection string (a store's error may
// quote a request URL).
type redactHandler struct {
	inner   slog.Handler
	secrets []string
}

// credentialPattern matches the value of a credential-bearing parameter:
// SAS signatures, AWS presigned-URL signatures and credentials, and
// connection-string keys.
func credentialPattern() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:^|[?&\s;"'])(?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|accountkey|sharedaccesssignature)=)[^&\s;"']+`)
}

func newRedactHandler(inner slog.Handler, secrets []string) *redactHandler {
	var keep []string
	for _, s := range secrets {
		// Very short values would blank out ordinary words.
		if len(s) >= 4 {
			keep = append(keep, s)
		}
	}
	return &redactHandler{inner: inner, secrets: keep}
}

func (h *redactHandler) scrub(s string) string {
	for _, sec := range h.secrets {
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
