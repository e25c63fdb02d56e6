package worker

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

func TestOffsetsTag(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]int64
		same bool
	}{
		{"equal", map[string]int64{"a": 1, "b": 2}, map[string]int64{"b": 2, "a": 1}, true},
		{"offset differs", map[string]int64{"a": 1}, map[string]int64{"a": 2}, false},
		{"topic differs", map[string]int64{"a": 1}, map[string]int64{"b": 1}, false},
		{"extra topic", map[string]int64{"a": 1}, map[string]int64{"a": 1, "b": 0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := offsetsTag(tt.a) == offsetsTag(tt.b); got != tt.same {
				t.Errorf("offsetsTag(%v) == offsetsTag(%v) is %v, want %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
}

// TestCheckpointKeepsTwoAndMatches walks the commit protocol: checkpoint,
// prune, and find the snapshot for given committed offsets.
func TestCheckpointKeepsTwoAndMatches(t *testing.T) {
	schema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number})}
	plan := &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{Name: "p", Backends: []*ir.Backend{{Name: ir.BackendNative}}, Operators: []*ir.Operator{
			{ID: "source.s", Kind: ir.KindSource, Name: "s", Schema: schema, Source: &ir.Source{Topic: "s", Format: "json"}},
			{ID: "sink.o", Kind: ir.KindSink, Name: "o", Inputs: []string{"source.s"}, Schema: schema, Sink: &ir.Sink{Topic: "o", Format: "json", Delivery: ir.AtLeastOnce}},
		}},
		Stages: []*ir.Stage{{ID: "n", Backend: ir.BackendNative, Operators: []string{"source.s", "sink.o"}}},
	}
	eng, err := native.New(plan, "n")
	if err != nil {
		t.Skipf("engine: %v", err)
	}
	defer eng.Close()
	dir := t.TempDir()
	g := &pgroup{eng: eng, dir: dir}
	// The last two are at the same offsets, as when a transaction only
	// fires windows: each gets its own snapshot, since the earlier one is
	// the committed state until the later one's commit succeeds.
	var names []string
	for _, off := range []int64{10, 20, 30, 30} {
		if err := g.checkpoint(map[string]int64{"s": off}); err != nil {
			t.Fatal(err)
		}
		names = append(names, g.pending)
		if err := g.prune(); err != nil {
			t.Fatal(err)
		}
	}
	if names[2] == names[3] {
		t.Fatalf("two snapshots at the same offsets share the name %s", names[2])
	}
	// A crash mid-checkpoint leaves an incomplete snapshot behind.
	if err := os.MkdirAll(filepath.Join(dir, "junk"+tmpSnapshotSep+"x", engineDirName), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{names[2], names[3], "junk" + tmpSnapshotSep + "x"}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshots (-want +got):\n%s", diff)
	}
	// By name: the one the commit recorded, even at shared offsets.
	for _, name := range names[2:] {
		match, problems, err := findSnapshot(dir, map[string]int64{"s": 30}, name)
		if err != nil || match != filepath.Join(dir, name) || len(problems) > 0 {
			t.Errorf("findSnapshot(%s) = %q, %q, %v; want that snapshot", name, match, problems, err)
		}
	}
	// A name at other offsets, or one pruned away, is a problem naming it.
	for _, name := range names[:3] {
		match, problems, err := findSnapshot(dir, map[string]int64{"s": 20}, name)
		if err != nil || match != "" || len(problems) != 1 || !strings.Contains(problems[0], filepath.Join(dir, name, offsetsFile)) {
			t.Errorf("findSnapshot(%s at s=20) = %q, %q, %v; want a problem naming its offsets file", name, match, problems, err)
		}
	}
	for _, tt := range []struct {
		off        int64
		wantMatch  bool
		wantOthers int
	}{{30, true, 0}, {20, false, 2}} {
		match, others, err := findSnapshot(dir, map[string]int64{"s": tt.off}, "")
		if err != nil {
			t.Fatal(err)
		}
		// The incomplete temporary snapshot is no problem to report.
		if (match != "") != tt.wantMatch || len(others) != tt.wantOthers {
			t.Errorf("findSnapshot(s=%d) = %q, others %q; want match %v, %d others", tt.off, match, others, tt.wantMatch, tt.wantOthers)
		}
		if match != "" {
			if err := eng.Restore(filepath.Join(match, engineDirName)); err != nil {
				t.Errorf("restore %s: %v", match, err)
			}
		}
	}
}
