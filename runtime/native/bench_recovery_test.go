package native

import (
	"context"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// BenchmarkRecovery measures recovery from a checkpoint of about 100 MB and
// about 1 GB of aggregate state (open windows of keys with 1000-byte key
// values, on disk): New, Restore, and processing the first record, which
// touches a restored key. Recovery must not grow with state size, so the
// two should be close; the ratio sub-benchmark restores both alternately
// and reports large/small. The snapshots are generated once per run (the
// 1 GB one takes a while), in the OS temp dir, and removed afterwards.
//
//	go test ./runtime/native -run '^$' -bench Recovery -benchtime 20x
func BenchmarkRecovery(b *testing.B) {
	sizes := []struct {
		name  string
		bytes int64
	}{{"100MB", 100 << 20}, {"1GB", 1 << 30}}
	root, err := os.MkdirTemp("", "native-recovery-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(root) })
	plan := recoveryPlan()
	snaps := make([]recoverySnap, len(sizes))
	for i, s := range sizes {
		t0 := time.Now()
		snaps[i] = makeRecoverySnap(b, plan, filepath.Join(root, s.name), s.bytes)
		b.Logf("state %s: %d keys, %.0f MB on disk, generated in %s", s.name, snaps[i].keys, float64(snaps[i].size)/(1<<20), time.Since(t0).Round(time.Millisecond))
	}
	for i, s := range sizes {
		b.Run("state="+s.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				total += restoreOnce(b, plan, snaps[i])
			}
			b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/recovery")
			b.ReportMetric(float64(snaps[i].size)/(1<<20), "MB-state")
		})
	}
	b.Run("ratio", func(b *testing.B) {
		var small, large time.Duration
		for range b.N {
			small += restoreOnce(b, plan, snaps[0])
			large += restoreOnce(b, plan, snaps[1])
		}
		b.ReportMetric(float64(small.Microseconds())/1e3/float64(b.N), "ms/recovery-100MB")
		b.ReportMetric(float64(large.Microseconds())/1e3/float64(b.N), "ms/recovery-1GB")
		b.ReportMetric(float64(large)/float64(small), "ratio-1GB/100MB")
	})
}

const recoveryKeyLen = 1000

func recoveryPlan() *ir.Plan {
	rec := obj(map[string]cty.Type{"k": cty.String, "n": cty.Number, "ts": cty.Number})
	out := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "cnt": cty.Number,
		"window_start": cty.String, "window_end": cty.String})
	return planOf(
		source("e", rec, "record.ts"),
		&ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: out,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 86_400_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "cnt", Func: ir.AggCount}}}},
		sink("out", "aggregate.a", out),
	)
}

// recoveryKey is the key of record i: recoveryKeyLen pseudo-random hex
// digits (incompressible, so the state's size on disk is what it says).
func recoveryKey(i int) string {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	const hex = "0123456789abcdef"
	k := strconv.AppendInt(make([]byte, 0, recoveryKeyLen), int64(i), 10)
	k = append(k, '-')
	for len(k) < recoveryKeyLen {
		k = append(k, hex[rng.IntN(16)])
	}
	return string(k)
}

// recoveryInput is record i, in an open one-day window.
func recoveryInput(i int) Input {
	v := make([]byte, 0, recoveryKeyLen+64)
	v = append(v, `{"k":"`...)
	v = append(v, recoveryKey(i)...)
	v = append(v, `","n":1,"ts":`...)
	v = strconv.AppendInt(v, base+int64(i%1000), 10)
	v = append(v, '}')
	return Input{Stream: "source.e", Offset: int64(i), Value: v}
}

type recoverySnap struct {
	dir  string
	keys int
	size int64
}

// makeRecoverySnap processes records with new keys until the aggregate
// state is about bytes large, and checkpoints it to dir/snap.
func makeRecoverySnap(b *testing.B, plan *ir.Plan, dir string, bytes int64) recoverySnap {
	b.Helper()
	// Each key is stored about three times (state key, key record, fire
	// index key); measured: about 2.75 bytes on disk per key byte.
	keys := int(bytes * 100 / (275 * recoveryKeyLen))
	e, err := New(plan, "s", WithStateDir(filepath.Join(dir, "gen")), WithCacheEntries(20_000))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	var d discard
	for i := range keys {
		if err := e.Process(ctx, recoveryInput(i), &d); err != nil {
			b.Fatal(err)
		}
	}
	if d.n != 0 || d.dead != 0 {
		b.Fatalf("generating state: %d outputs and %d dead letters, want none", d.n, d.dead)
	}
	snap := filepath.Join(dir, "snap")
	if err := e.Checkpoint(snap); err != nil {
		b.Fatal(err)
	}
	var size int64
	err = filepath.WalkDir(snap, func(_ string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		fi, err := de.Info()
		size += fi.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return recoverySnap{dir: snap, keys: keys, size: size}
}

// restoreOnce times New, Restore and processing one record of a key in the
// snapshot, and checks that the record was added to the restored window.
func restoreOnce(b *testing.B, plan *ir.Plan, s recoverySnap) time.Duration {
	b.Helper()
	work, err := os.MkdirTemp(filepath.Dir(s.dir), "work-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(work)
	i := s.keys / 2
	probe := recoveryInput(i)
	ctx := context.Background()
	var d discard

	start := time.Now()
	e, err := New(plan, "s", WithStateDir(work))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Restore(s.dir); err != nil {
		b.Fatal(err)
	}
	if err := e.Process(ctx, probe, &d); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)

	b.StopTimer()
	defer b.StartTimer()
	defer e.Close()
	if got := recoveryCount(e, recoveryKey(i)); got != 2 {
		b.Fatalf("restored key counts %v records after the probe, want 2", got)
	}
	return elapsed
}

// recoveryCount returns the record count of key's window in memory.
func recoveryCount(e *Engine, key string) float64 {
	for _, nd := range e.nodes {
		n, ok := nd.(*aggNode)
		if !ok {
			continue
		}
		for _, ks := range n.keys {
			if len(ks.wins) == 1 && ks.key.Get("k").Str == key {
				return n.agg.Result(ks.key, ks.wins[0].acc, ks.wins[0].iv).Get("cnt").Float()
			}
		}
	}
	return 0
}
