package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/health"
)

// slogLevel maps a config log level to slog. LOG_TRACE is slog's Debug,
// LOG_DEBUG one step below it, LOG_CRIT one step above Error.
func slogLevel(l config.LogLevel) slog.Level {
	switch l {
	case config.LogCrit:
		return slog.LevelError + 4
	case config.LogErr:
		return slog.LevelError
	case config.LogInfo:
		return slog.LevelInfo
	case config.LogTrace:
		return slog.LevelDebug
	case config.LogDebug:
		return slog.LevelDebug - 4
	default:
		return slog.LevelWarn
	}
}

// logDest says where a mount logs.
type logDest struct {
	kind string // "discard", "stderr", "file", "syslog"
	path string // for "file"
}

// String says where the log goes: the file's absolute path, or "none",
// "stderr" or "syslog".
func (d logDest) String() string {
	switch d.kind {
	case "file":
		return absPath(d.path)
	case "discard":
		return "none"
	}
	return d.kind
}

// workDir is Cloudfuse's default working directory for the log and cache.
func workDir(cfg *config.Config) string {
	if cfg.DefaultWorkingDir != "" {
		return cfg.DefaultWorkingDir
	}
	return defaultWorkDir()
}

// logDestination picks the log destination: nothing for LOG_OFF or type
// silent; syslog for type syslog; else the configured file, or stderr in
// the foreground and ~/.cloudfuse/cloudfuse.log in the background.
func logDestination(cfg *config.Config, foreground bool) logDest {
	switch {
	case cfg.Logging.Level == config.LogOff || cfg.Logging.Type == config.LogSilent:
		return logDest{kind: "discard"}
	case cfg.Logging.Type == config.LogSyslog:
		return logDest{kind: "syslog"}
	case cfg.Logging.FilePath != "":
		return logDest{kind: "file", path: cfg.Logging.FilePath}
	case foreground:
		return logDest{kind: "stderr"}
	default:
		return logDest{kind: "file", path: filepath.Join(workDir(cfg), "cloudfuse.log")}
	}
}

// newLogger opens the log destination. The returned closer releases it.
// Every handler drops credentials (redactHandler); a log file rotates at
// logging.max-file-size-mb, keeping logging.file-count files.
func newLogger(cfg *config.Config, dest logDest, stderr io.Writer, extraSecrets ...string) (*slog.Logger, io.Closer, error) {
	opts := &slog.HandlerOptions{Level: slogLevel(cfg.Logging.Level)}
	secrets := append(cfg.Secrets(), extraSecrets...)
	wrap := func(h slog.Handler) *slog.Logger { return slog.New(newRedactHandler(h, secrets)) }
	switch dest.kind {
	case "discard":
		return slog.New(slog.DiscardHandler), io.NopCloser(nil), nil
	case "stderr":
		return wrap(slog.NewTextHandler(stderr, opts)), io.NopCloser(nil), nil
	case "syslog":
		w, c, err := openSystemLog()
		if err != nil {
			return nil, nil, fmt.Errorf("logging.type syslog: cannot reach the system log: %w", err)
		}
		return wrap(&syslogHandler{w: w, opts: opts}), c, nil
	default:
		if err := os.MkdirAll(filepath.Dir(dest.path), 0o755); err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", dest.path, unwrapPath(err))
		}
		f, err := health.OpenRotating(dest.path, int64(cfg.Logging.MaxFileSizeMB)<<20, cfg.Logging.FileCount, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", dest.path, unwrapPath(err))
		}
		if cfg.Logging.Compress {
			f.Compress()
		}
		return wrap(slog.NewTextHandler(f, opts)), f, nil
	}
}

func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, unwrapPath(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, unwrapPath(err))
	}
	return f, nil
}

// syslogWriter is the part of *syslog.Writer the handler uses.
type syslogWriter interface {
	Crit(string) error
	Err(string) error
	Warning(string) error
	Info(string) error
	Debug(string) error
}

// syslogHandler formats records as slog text and sends each to the system
// log at the matching priority.
type syslogHandler struct {
	w    syslogWriter
	opts *slog.HandlerOptions
	// ops replays WithAttrs and WithGroup calls, in order, on the text
	// handler that formats each record.
	ops []func(slog.Handler) slog.Handler
}

func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.opts.Level.Level()
}

func (h *syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	var buf bytes.Buffer
	var th slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: h.opts.Level,
		// The system log stamps time itself.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, op := range h.ops {
		th = op(th)
	}
	if err := th.Handle(ctx, r); err != nil {
		return err
	}
	msg := string(bytes.TrimRight(buf.Bytes(), "\n"))
	switch {
	case r.Level >= slog.LevelError+4:
		return h.w.Crit(msg)
	case r.Level >= slog.LevelError:
		return h.w.Err(msg)
	case r.Level >= slog.LevelWarn:
		return h.w.Warning(msg)
	case r.Level >= slog.LevelInfo:
		return h.w.Info(msg)
	default:
		return h.w.Debug(msg)
	}
}

func (h *syslogHandler) with(op func(slog.Handler) slog.Handler) *syslogHandler {
	c := *h
	c.ops = append(append([]func(slog.Handler) slog.Handler(nil), h.ops...), op)
	return &c
}

func (h *syslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(t slog.Handler) slog.Handler { return t.WithAttrs(attrs) })
}

func (h *syslogHandler) WithGroup(name string) slog.Handler {
	return h.with(func(t slog.Handler) slog.Handler { return t.WithGroup(name) })
}
