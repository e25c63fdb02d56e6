package kafkaio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio/kafkatest"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestMain(m *testing.M) {
	beam.Init()
	os.Exit(m.Run())
}

func init() {
	register.Function1x1(upper)
	register.Function1x1(one)
	register.Function3x1(windowLine)
	register.Function1x1(markFuture)
	register.Function1x1(notFuture)
	kafkaio.RegisterTimestamper("test.ts", func([]byte) (kafkaio.Timestamper, error) { return tsField{}, nil })
}

// tsField reads the event time from the value's "ts" field (epoch ms).
type tsField struct{}

func (tsField) EventTimeMs(_, value []byte) (int64, bool) {
	var v struct{ TS *int64 }
	if json.Unmarshal(value, &v) != nil || v.TS == nil {
		return 0, false
	}
	return *v.TS, true
}

func upper(r kafkaio.Record) kafkaio.Record {
	r.Value = bytes.ToUpper(r.Value)
	r.Topic = "" // the write's topic
	return r
}

func one(kafkaio.Record) string { return "all" }

// markFuture prefixes the value of a record the read found beyond
// MaxFutureMs with "future:".
func markFuture(r kafkaio.Record) kafkaio.Record {
	if r.Future != "" {
		r.Value = append([]byte("future:"), r.Value...)
	}
	r.Topic = ""
	return r
}

func notFuture(r kafkaio.Record) bool { return r.Future == "" }

// windowLine renders one window's count as a record keyed by the window's
// start (RFC 3339) with the count as its value.
func windowLine(w beam.Window, _ string, n int) kafkaio.Record {
	start := w.(window.IntervalWindow).Start.ToTime().UTC().Format(time.RFC3339)
	return kafkaio.Record{Key: []byte(start), Value: []byte(strconv.Itoa(n))}
}

// TestReadWrite reads a three-partition topic on a broker in another
// process while kcat keeps producing to it, on Prism: every record passes
// through to one topic, and per-minute counts by event time (the value's
// ts, through a Timestamper) go to another. The read is bounded by
// StopWhenIdleMs, so the job ends and every window fires.
func TestReadWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Beam job on Prism: skipped with -short")
	}
	kafkatest.Kcat(t)
	addr := kafkatest.StartBroker(t, "-partitions", "3")
	conn := kafkaio.Conn{Broker: ir.Broker{Name: "test", Brokers: []string{addr}}}

	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := func(from, to int) []string {
		var lines []string
		for i := from; i < to; i++ {
			lines = append(lines, fmt.Sprintf(`k%d|{"n":%d,"ts":%d}`, i, i, base.Add(time.Duration(i)*time.Second).UnixMilli()))
		}
		return lines
	}
	kafkatest.Produce(t, addr, "in", batch(0, 300))

	p, s := beam.NewPipelineWithRoot()
	recs := kafkaio.Read(s, kafkaio.ReadConfig{Conn: conn, Topic: "in", StopWhenIdleMs: 3000, Timestamper: "test.ts"})
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "out"}, beam.ParDo(s, upper, recs))
	windowed := beam.WindowInto(s, window.NewFixedWindows(time.Minute), recs)
	counts := stats.Count(s, beam.ParDo(s, one, windowed))
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "counts"}, beam.ParDo(s, windowLine, counts))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := prism.Execute(ctx, p)
		done <- err
	}()
	// Records that arrive while the job runs are read too.
	time.Sleep(time.Second)
	kafkatest.Produce(t, addr, "in", batch(300, 600))
	if err := <-done; err != nil {
		t.Fatalf("job: %v", err)
	}

	var want []string
	for _, l := range batch(0, 600) {
		key, value, _ := strings.Cut(l, "|")
		want = append(want, key+"|"+strings.ToUpper(value))
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, kafkatest.Consume(t, addr, "out")); diff != "" {
		t.Errorf("out (-want +got):\n%s", diff)
	}
	var wantCounts []string
	for m := range 10 {
		wantCounts = append(wantCounts, base.Add(time.Duration(m)*time.Minute).Format(time.RFC3339)+"|60")
	}
	if diff := cmp.Diff(wantCounts, kafkatest.Consume(t, addr, "counts")); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestReadMaxFuture is issue 16.6 on the Kafka read: one record stamped
// 2099 among 2026 ones is flagged Future and does not move the watermark,
// so the later 2026 records are not late for their one-minute windows.
// Expected by hand: k1 flagged; windows 00:00 (k0, k2) and 00:01 (k3).
func TestReadMaxFuture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Beam job on Prism: skipped with -short")
	}
	kafkatest.Kcat(t)
	addr := kafkatest.StartBroker(t, "-partitions", "1")
	conn := kafkaio.Conn{Broker: ir.Broker{Name: "test", Brokers: []string{addr}}}
	at := func(s string) int64 {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts.UnixMilli()
	}
	lines := []string{
		fmt.Sprintf(`k0|{"ts":%d}`, at("2026-01-01T00:00:00Z")),
		fmt.Sprintf(`k1|{"ts":%d}`, at("2099-01-01T00:00:00Z")),
		fmt.Sprintf(`k2|{"ts":%d}`, at("2026-01-01T00:00:30Z")),
		fmt.Sprintf(`k3|{"ts":%d}`, at("2026-01-01T00:01:10Z")),
	}
	kafkatest.Produce(t, addr, "in", lines)

	p, s := beam.NewPipelineWithRoot()
	recs := kafkaio.Read(s, kafkaio.ReadConfig{Conn: conn, Topic: "in", StopWhenIdleMs: 2000, Timestamper: "test.ts", MaxFutureMs: time.Hour.Milliseconds()})
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "out"}, beam.ParDo(s, markFuture, recs))
	windowed := beam.WindowInto(s, window.NewFixedWindows(time.Minute), filter.Include(s, recs, notFuture))
	counts := stats.Count(s, beam.ParDo(s, one, windowed))
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "counts"}, beam.ParDo(s, windowLine, counts))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := prism.Execute(ctx, p); err != nil {
		t.Fatalf("job: %v", err)
	}
	want := []string{lines[0], strings.Replace(lines[1], "|", "|future:", 1), lines[2], lines[3]}
	if diff := cmp.Diff(want, kafkatest.Consume(t, addr, "out")); diff != "" {
		t.Errorf("out (-want +got):\n%s", diff)
	}
	wantCounts := []string{"2026-01-01T00:00:00Z|2", "2026-01-01T00:01:00Z|1"}
	if diff := cmp.Diff(wantCounts, kafkatest.Consume(t, addr, "counts")); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
