package worker

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The client's group transitions (kgo info) show only at debug; its
// warnings and errors always, at the matching slog level.
func TestKgoLogger(t *testing.T) {
	for _, tc := range []struct {
		name      string
		level     slog.Level
		wantLevel kgo.LogLevel
		want      []string // the lines written, in order
	}{
		{"info", slog.LevelInfo, kgo.LogLevelWarn, []string{
			`level=WARN msg="kafka: heartbeat errored" group=g`,
			`level=ERROR msg="kafka: group manage loop errored" group=g`,
		}},
		{"debug", slog.LevelDebug, kgo.LogLevelInfo, []string{
			`level=DEBUG msg="kafka: joined" group=g`,
			`level=WARN msg="kafka: heartbeat errored" group=g`,
			`level=ERROR msg="kafka: group manage loop errored" group=g`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := kgoLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level:       tc.level,
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return dropTime(a) },
			}))}
			if got := l.Level(); got != tc.wantLevel {
				t.Errorf("Level() = %v, want %v", got, tc.wantLevel)
			}
			// kgo filters by Level() itself; the adapter must still
			// map each level it is given.
			for _, m := range []struct {
				level kgo.LogLevel
				msg   string
			}{
				{kgo.LogLevelInfo, "joined"},
				{kgo.LogLevelWarn, "heartbeat errored"},
				{kgo.LogLevelError, "group manage loop errored"},
			} {
				if m.level <= l.Level() {
					l.Log(m.level, m.msg, "group", "g")
				}
			}
			got := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("log lines (-want +got):\n%s", d)
			}
		})
	}
}

func dropTime(a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
