// Command check compares the out.jsonl a query's run wrote with the
// reference implementation's answer over the same generated events, as
// multisets of canonical JSON objects. run.sh calls it with -check.
//
//	go run ./bench/nexmark/internal/check -events 1000000 -seed 1 -dir bench/nexmark q0 q11
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
	"github.com/pipeline-compiler/pipeline/bench/nexmark/ref"
	"github.com/pipeline-compiler/pipeline/lang"
)

func main() {
	events := flag.Int64("events", 1000000, "events the data was generated with")
	seed := flag.Uint64("seed", 1, "seed the data was generated with")
	dir := flag.String("dir", ".", "directory holding the qN directories")
	outName := flag.String("out", "out.jsonl", "output file name inside qN (or a path with {q})")
	flag.Parse()
	ev := generator.Generate(generator.Config{Events: *events, Seed: *seed})
	failed := false
	for _, q := range flag.Args() {
		if err := check(ev, q, filepath.Join(*dir, q, *outName), changelogKey(filepath.Join(*dir, q))); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", q, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// canonical re-encodes a JSON object with sorted keys and numbers as
// encoding/json writes float64s.
func canonical(b []byte) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	out, err := json.Marshal(m)
	return string(out), err
}

// changelogKey reads the spec of a query whose sink.out is an upsert sink
// (a changelog): the fields keying its rows, or nil for the whole row.
// ok is false for an append-only output.
func changelogKey(dir string) func() ([]string, bool) {
	return func() ([]string, bool) {
		res, diags := lang.Load(dir, lang.Options{})
		if diags.HasErrors() || res == nil {
			return nil, false
		}
		op := res.Pipeline.Operator("sink.out")
		if op == nil || !op.Changelog || op.ChangelogByRow {
			return nil, op != nil && op.Changelog
		}
		return op.ChangelogKey, true
	}
}

// finalTable applies the changes of an upsert file sink's lines (each row
// with its "op") by key, and returns the rows left, op removed.
func finalTable(lines []string, key []string) ([]string, error) {
	table := map[string]string{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return nil, err
		}
		op, _ := m["op"].(string)
		delete(m, "op")
		row, _ := json.Marshal(m)
		k := string(row)
		if key != nil {
			km := map[string]any{}
			for _, f := range key {
				km[f] = m[f]
			}
			b, _ := json.Marshal(km)
			k = string(b)
		}
		switch op {
		case "delete":
			delete(table, k)
		case "upsert":
			table[k] = string(row)
		default:
			return nil, fmt.Errorf("changelog line without an op: %s", l)
		}
	}
	out := make([]string, 0, len(table))
	for _, r := range table {
		out = append(out, r)
	}
	return out, nil
}

func check(ev generator.Events, q, path string, changelog func() ([]string, bool)) error {
	query, ok := ref.Queries[q]
	if !ok {
		return fmt.Errorf("no reference")
	}
	var want []string
	for _, r := range query(ev) {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		s, err := canonical(b)
		if err != nil {
			return err
		}
		want = append(want, s)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var got []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		s, err := canonical(sc.Bytes())
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		got = append(got, s)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if key, ok := changelog(); ok {
		if got, err = finalTable(got, key); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if slices.Equal(want, got) {
		fmt.Printf("%s: %d records, the reference's\n", q, len(got))
		return nil
	}
	// Report the first differences on each side.
	missing, extra := diff(want, got), diff(got, want)
	return fmt.Errorf("%d records, the reference has %d; %d missing (first: %v), %d extra (first: %v)",
		len(got), len(want), len(missing), first(missing), len(extra), first(extra))
}

// diff is a − b for sorted multisets.
func diff(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j >= len(b) || a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			j++
		default:
			i++
			j++
		}
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return s[0]
}
