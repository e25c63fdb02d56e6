package worker

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLogger writes franz-go's client log (group joins, assignments,
// revocations, fencing, retries) to the worker's logger, so that a stalled
// takeover or rebalance can be read in the worker's own log. Its info
// messages, one per group transition, show only when the logger is at
// debug; warnings and errors always show.
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	sl := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		sl = slog.LevelError
	case kgo.LogLevelWarn:
		sl = slog.LevelWarn
	}
	l.log.Log(context.Background(), sl, "kafka: "+msg, keyvals...)
}
