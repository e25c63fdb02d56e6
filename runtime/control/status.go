package control

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Report is the value of a status record: what one worker runs.
type Report struct {
	FormatVersion int    `json:"format_version"`
	Worker        string `json:"worker"`
	Host          string `json:"host"`
	// Only is the pipeline the worker is restricted to ("" = every one).
	Only       string    `json:"only,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	ReportedAt time.Time `json:"reported_at"`
	// IntervalMs is the worker's report interval: a worker silent for
	// three intervals is gone.
	IntervalMs int64 `json:"interval_ms"`
	// Stopped is set in the last report of a worker that shut down.
	Stopped   bool             `json:"stopped,omitempty"`
	Pipelines []PipelineStatus `json:"pipelines"`
}

// PipelineStatus is one pipeline on one worker.
type PipelineStatus struct {
	Name string `json:"name"`
	// Version is the order version the worker runs (or failed to run, with
	// State "failed"); Running is the version its stages run, which stays
	// the previous one when a new order cannot be run.
	Version int64  `json:"version"`
	Running int64  `json:"running_version"`
	State   string `json:"state"` // running | failed
	Error   string `json:"error,omitempty"`
	// FailedStage names the stage whose error Error is, if any.
	FailedStage string        `json:"failed_stage,omitempty"`
	Stages      []StageStatus `json:"stages"`
}

// StageStatus is one stage of a pipeline on one worker.
type StageStatus struct {
	ID          string `json:"id"`
	Identity    string `json:"identity"`
	State       string `json:"state"` // running | restarting | failed
	RecordsIn   int64  `json:"records_in"`
	RecordsOut  int64  `json:"records_out"`
	DeadLetters int64  `json:"dead_letters"`
	Lag         int64  `json:"lag"`
	// WatermarkMs is the stage's event time (epoch ms), 0 when unknown;
	// EventTimeLagMs is the report time minus it.
	WatermarkMs    int64 `json:"watermark_ms,omitempty"`
	EventTimeLagMs int64 `json:"event_time_lag_ms,omitempty"`
	// StateResets counts the partition groups this run of the stage
	// started with empty state because their checkpoint was missing or
	// damaged and the worker runs with -reset-state.
	StateResets int64  `json:"state_resets,omitempty"`
	Error       string `json:"error,omitempty"`
	// Operators are the records in and out of each operator of the stage
	// on this worker, in stage order.
	Operators []OperatorStatus `json:"operators,omitempty"`
}

// OperatorStatus is one operator's records in and out on one worker.
type OperatorStatus struct {
	ID         string `json:"id"`
	RecordsIn  int64  `json:"records_in"`
	RecordsOut int64  `json:"records_out"`
}

// Live reports whether the worker reported within three of its intervals
// before now and did not stop.
func (r *Report) Live(now time.Time) bool {
	iv := time.Duration(r.IntervalMs) * time.Millisecond
	if iv <= 0 {
		iv = DefaultInterval
	}
	return !r.Stopped && now.Sub(r.ReportedAt) <= 3*iv
}

// Serves reports whether the worker takes orders of pipeline.
func (r *Report) Serves(pipeline string) bool { return r.Only == "" || r.Only == pipeline }

// Pipeline returns the status of name, or nil.
func (r *Report) Pipeline(name string) *PipelineStatus {
	for i := range r.Pipelines {
		if r.Pipelines[i].Name == name {
			return &r.Pipelines[i]
		}
	}
	return nil
}

// DefaultInterval is how often a worker reports unless told otherwise.
const DefaultInterval = 5 * time.Second

func publishReport(ctx context.Context, cl *kgo.Client, r *Report) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: StatusTopic, Key: []byte(r.Worker), Value: b}).FirstErr(); err != nil {
		return fmt.Errorf("publish to %s: %w", StatusTopic, err)
	}
	return nil
}

// Watcher follows the status topic from its start and keeps each worker's
// latest report.
type Watcher struct {
	cl      *kgo.Client
	next    int64 // offset after the last record read
	reports map[string]*Report
	// Bad are reports that could not be read, by worker key.
	Bad map[string]error
}

// NewWatcher starts reading the status topic with a client built from
// opts (seed brokers, SASL, TLS).
func NewWatcher(opts ...kgo.Opt) (*Watcher, error) {
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumeTopics(StatusTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return &Watcher{cl: cl, reports: map[string]*Report{}, Bad: map[string]error{}}, nil
}

// Close closes the client.
func (w *Watcher) Close() { w.cl.Close() }

// Poll reads what arrived within wait and returns the latest report of
// every worker seen so far, by worker ID.
func (w *Watcher) Poll(ctx context.Context, wait time.Duration) (map[string]*Report, error) {
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fs := w.cl.PollFetches(pctx)
	if fs.IsClientClosed() {
		return nil, kgo.ErrClientClosed
	}
	var ferr error
	fs.EachError(func(topic string, _ int32, err error) {
		if ctx.Err() == nil && pctx.Err() == nil && ferr == nil {
			ferr = fmt.Errorf("read %s: %w", topic, err)
		}
	})
	fs.EachRecord(func(rec *kgo.Record) {
		w.next = rec.Offset + 1
		key := string(rec.Key)
		if rec.Value == nil {
			delete(w.reports, key)
			return
		}
		var r Report
		if err := json.Unmarshal(rec.Value, &r); err != nil {
			w.Bad[key] = fmt.Errorf("unreadable status record of worker %q: %w", key, err)
			return
		}
		if r.FormatVersion > FormatVersion {
			w.Bad[key] = fmt.Errorf("status record of worker %q has format_version %d; this build reads up to %d", key, r.FormatVersion, FormatVersion)
			return
		}
		delete(w.Bad, key)
		w.reports[key] = &r
	})
	return w.reports, ferr
}

// ReadAll reads the status topic up to its end as of now (bounded by
// ctx) and returns the latest report per worker.
func (w *Watcher) ReadAll(ctx context.Context) (map[string]*Report, error) {
	end, err := endOffset(ctx, w.cl, StatusTopic)
	if err != nil {
		return nil, err
	}
	for {
		if _, err := w.Poll(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if w.next >= end {
			return w.reports, nil
		}
	}
}

// Workers returns reports sorted by worker ID.
func Workers(reports map[string]*Report) []*Report {
	out := make([]*Report, 0, len(reports))
	for _, r := range reports {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Worker < out[j].Worker })
	return out
}
