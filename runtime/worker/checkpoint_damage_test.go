package worker_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// dedupePlan is source.orders → dedupe.once (on record.id, within 24h) →
// sink.out, exactly once, in one native stage.
func dedupePlan() *ir.Plan {
	schema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number, "amount": cty.Number})}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.orders", Kind: ir.KindSource, Name: "orders", Schema: schema, Source: &ir.Source{Topic: "orders", Format: "json"}},
				{ID: "dedupe.once", Kind: ir.KindDedupe, Name: "once", Inputs: []string{"source.orders"}, Schema: schema,
					Dedupe: &ir.Dedupe{Key: ir.Expr{Source: "record.id"}, WithinMs: 24 * 3_600_000}},
				{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"dedupe.once"}, Schema: schema,
					Sink: &ir.Sink{Topic: "out", Format: "json", Delivery: ir.ExactlyOnce}},
			},
		},
		Stages: []*ir.Stage{{
			ID: "native.1", Backend: ir.BackendNative,
			Operators: []string{"source.orders", "dedupe.once", "sink.out"},
			Inputs:    []string{"orders"}, Outputs: []string{"out", "orders.dlq"},
		}},
	}
}

// groupDir is partition group 0's checkpoint directory of dedupePlan.
func groupDir(state string) string {
	p := dedupePlan()
	return filepath.Join(worker.StageStateDir(state, p, p.Stages[0]), "pg-0")
}

// TestDamagedCheckpointRefusesToStart runs a dedupe over 100 ids with a
// state directory, damages the checkpoint, sends the same 100 ids again
// and restarts: the restart must refuse with an error that names the
// damaged file, and not let the 100 duplicates through. With ResetState it
// proceeds (the duplicates pass, as asked) and says so in its progress and
// metrics.
func TestDamagedCheckpointRefusesToStart(t *testing.T) {
	snapshots := func(t *testing.T, state string) []string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(groupDir(state), "*", "offsets.json"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no snapshot in %s: %v", state, err)
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, state string) (named []string) // the error names one; none when intact
	}{
		{"intact", func(*testing.T, string) []string { return nil }},
		{"garbage offsets", func(t *testing.T, state string) []string {
			files := snapshots(t, state)
			for _, f := range files {
				if err := os.WriteFile(f, []byte("\x00garbage{"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			return files
		}},
		{"other offsets", func(t *testing.T, state string) []string {
			files := snapshots(t, state)
			for _, f := range files {
				if err := os.WriteFile(f, []byte(`{"orders":7}`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			return files
		}},
		{"snapshots removed", func(t *testing.T, state string) []string {
			files := snapshots(t, state)
			for _, f := range files {
				if err := os.RemoveAll(filepath.Dir(f)); err != nil {
					t.Fatal(err)
				}
			}
			return []string{groupDir(state)}
		}},
		{"state dir removed", func(t *testing.T, state string) []string {
			if err := os.RemoveAll(state); err != nil {
				t.Fatal(err)
			}
			return []string{groupDir(state)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			b, err := embedded.Start(ctx, embedded.Partitions(1))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			state := t.TempDir()
			run := func(opts ...worker.Option) (worker.Progress, *worker.Metrics, error) {
				var last worker.Progress
				m := worker.NewMetrics()
				err := worker.Run(ctx, dedupePlan(), append([]worker.Option{
					worker.Brokers(b.Addrs()...),
					worker.StateDir(state),
					worker.ExitWhenIdle(time.Second),
					worker.InstanceID("test"),
					worker.WithMetrics(m),
					worker.OnProgress(func(p worker.Progress) { last = p }),
				}, opts...)...)
				return last, m, err
			}
			produce(t, b.Addrs(), "orders", 100, false)
			if _, _, err := run(); err != nil {
				t.Fatal(err)
			}
			named := tc.damage(t, state)
			produce(t, b.Addrs(), "orders", 100, false) // the same ids again

			_, _, err = run()
			if named == nil {
				if err != nil {
					t.Fatalf("restart with an intact checkpoint: %v", err)
				}
			} else {
				var ce *worker.CheckpointError
				if !errors.As(err, &ce) || !slices.ContainsFunc(named, func(f string) bool { return strings.Contains(err.Error(), f) }) {
					t.Fatalf("restart with a damaged checkpoint: err = %v, want a CheckpointError naming one of %q", err, named)
				}
			}
			if n := len(consumeAll(t, b.Addrs(), "out", -1, 2*time.Second)); n != 100 {
				t.Errorf("%d records out after the restart, want 100 (the 100 ids once)", n)
			}
			if named == nil {
				return
			}

			pr, m, err := run(worker.ResetState())
			if err != nil {
				t.Fatalf("restart with ResetState: %v", err)
			}
			if len(pr.Stages) != 1 || pr.Stages[0].StateResets != 1 {
				t.Errorf("progress after ResetState = %+v, want one state reset", pr.Stages)
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			if want := `pipeline_state_resets_total{pipeline="orders",stage="native.1"} 1`; !strings.Contains(rec.Body.String(), want) {
				t.Errorf("metrics lack %s", want)
			}
			// Empty state forgot the first 100 ids: they pass again.
			if n := len(consumeAll(t, b.Addrs(), "out", -1, 2*time.Second)); n != 200 {
				t.Errorf("%d records out after the reset, want 200", n)
			}
		})
	}
}

// TestCommitNamesSnapshot: with either delivery, the committed offsets
// carry in their metadata the name of the snapshot taken for them, so a
// restart restores that state and no other taken at the same offsets.
func TestCommitNamesSnapshot(t *testing.T) {
	for _, delivery := range []string{ir.AtLeastOnce, ir.ExactlyOnce} {
		t.Run(delivery, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			b, err := embedded.Start(ctx, embedded.Partitions(1))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			plan := dedupePlan()
			plan.Pipeline.Operators[2].Sink.Delivery = delivery
			state := t.TempDir()
			produce(t, b.Addrs(), "orders", 10, false)
			if err := worker.Run(ctx, plan, worker.Brokers(b.Addrs()...), worker.StateDir(state), worker.ExitWhenIdle(time.Second)); err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			offs, err := kadm.NewClient(cl).FetchOffsets(ctx, worker.GroupID(plan, plan.Stages[0]))
			if err != nil {
				t.Fatal(err)
			}
			o, ok := offs.Lookup("orders", 0)
			name, named := strings.CutPrefix(o.Metadata, "pipeline-checkpoint:")
			if !ok || o.At != 10 || !named {
				t.Fatalf("committed offset = %+v, want 10 with a snapshot name in its metadata", o)
			}
			b2, err := os.ReadFile(filepath.Join(groupDir(state), name, "offsets.json"))
			if err != nil || string(b2) != `{"orders":10}` {
				t.Errorf("the named snapshot's offsets.json = %q, %v; want {\"orders\":10}", b2, err)
			}
		})
	}
}
