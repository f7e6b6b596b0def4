package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/cellforge/cellforge/cmd/cellforge/internal/logfmt"
)

// logFlags are the flags that say how a daemon (serve, hub, bridge) logs.
type logFlags struct {
	level, format *string
}

// addLogFlags defines --log-level and --log-format on fs.
func addLogFlags(fs *flag.FlagSet) logFlags {
	return logFlags{
		level:  fs.String("log-level", "info", "log level: debug, info, warn or error"),
		format: fs.String("log-format", "text", "log line format: text (slog's key=value), json (one object a line) or logfmt"),
	}
}

// logSpec is how a daemon logs, checked.
type logSpec struct {
	level  slog.Level
	format string
}

// check checks the flags once parsed.
func (l logFlags) check() (logSpec, error) {
	var s logSpec
	if err := s.level.UnmarshalText([]byte(*l.level)); err != nil {
		return logSpec{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", *l.level)
	}
	switch *l.format {
	case "text", "json", "logfmt":
		s.format = *l.format
	default:
		return logSpec{}, fmt.Errorf("--log-format %q: want text, json or logfmt", *l.format)
	}
	return s, nil
}

// logger returns the logger s describes, writing to w.
func (s logSpec) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.level}
	switch s.format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts))
	case "logfmt":
		return slog.New(logfmt.New(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
