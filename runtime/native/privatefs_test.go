package native

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestStateFilesArePrivate checks that the live state and a checkpoint of
// a stateful engine are 0700 directories and 0600 files even with umask 0:
// they hold keys and aggregates of user records.
func TestStateFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	out := obj(map[string]cty.Type{"k": cty.String, "cnt": cty.Number, "window_start": cty.String, "window_end": cty.String})
	plan := planOf(source("e", event, "record.ts"),
		&ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: out,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "cnt", Func: ir.AggCount}}}},
		sink("out", "aggregate.a", out))
	for _, onDisk := range []bool{false, true} {
		root := t.TempDir()
		var opts []Option
		if onDisk {
			opts = append(opts, WithStateDir(filepath.Join(root, "live")))
		}
		e, err := New(plan, "s", opts...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if err := e.Process(context.Background(), ev("source.e", "x", string(rune('a'+i%5)), 0, base+float64(i)), newCollect()); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Checkpoint(filepath.Join(root, "snaps", "1")); err != nil {
			t.Fatal(err)
		}
		if onDisk {
			opts = append(opts, WithStateDir(filepath.Join(root, "restored")))
		}
		e2, err := New(plan, "s", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := e2.Restore(filepath.Join(root, "snaps", "1")); err != nil {
			t.Fatal(err)
		}
		n := 0
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			info, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				// Pebble, still open, replaced it (an OPTIONS file)
				// between the listing and now: a file gone holds nothing.
				return nil
			}
			if err != nil {
				return err
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if got := info.Mode().Perm(); got != want {
				t.Errorf("state dir %v: %s has mode %v, want %v", onDisk, p, got, want)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 4 {
			t.Errorf("state dir %v: only %d files and directories to check", onDisk, n)
		}
		e.Close()
		e2.Close()
	}
}
