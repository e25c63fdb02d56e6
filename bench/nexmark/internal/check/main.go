// Command check compares the out.jsonl (or the partition files, for q10) a query's run wrote with the
// reference implementation's answer over the same generated events, as
// multisets of canonical JSON objects. run.sh calls it with -check.
//
//	go run ./bench/nexmark/internal/check -events 1000000 -seed 1 -dir bench/nexmark q0 q11
//
// With -print, it prints instead the answer each named query directory's
// run wrote, sorted, as it would compare it: a changelog's final table
// (its changes applied by key), the records of any other query. run.sh
// -backend both compares native's and beam's this way, since two runs of
// a changelog may take different paths to the same table.
//
//	go run ./bench/nexmark/internal/check -print bench/nexmark/q4 bench/nexmark/.beam-q4
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
	"github.com/pipeline-compiler/pipeline/bench/nexmark/ref"
	"github.com/pipeline-compiler/pipeline/lang"
)

func main() {
	events := flag.Int64("events", 1000000, "events the data was generated with")
	seed := flag.Uint64("seed", 1, "seed the data was generated with")
	dir := flag.String("dir", ".", "directory holding the qN directories")
	outName := flag.String("out", "out.jsonl", "output file name inside qN (or a path with {q})")
	print := flag.Bool("print", false, "print each named directory's answer (a changelog's final table), sorted")
	flag.Parse()
	if *print {
		for _, dir := range flag.Args() {
			got, err := answer(filepath.Join(dir, *outName), changelogKey(dir))
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", dir, err)
				os.Exit(1)
			}
			for _, r := range got {
				fmt.Println(r)
			}
		}
		return
	}
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
	got, err := readOutput(path)
	if err != nil {
		return err
	}
	if q == "q12" {
		// Processing-time windows depend on when the bids arrived, not on
		// the data: compare what does not, each bidder's total.
		if want, err = perBidderTotals(want); err == nil {
			got, err = perBidderTotals(got)
		}
		if err != nil {
			return err
		}
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

// answer is what a run wrote at path as check compares it, sorted: a
// changelog's final table, else its records.
func answer(path string, changelog func() ([]string, bool)) ([]string, error) {
	got, err := readOutput(path)
	if err != nil {
		return nil, err
	}
	if key, ok := changelog(); ok {
		if got, err = finalTable(got, key); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	slices.Sort(got)
	return got, nil
}

// perBidderTotals sums q12's bid_count per bidder over its windows.
func perBidderTotals(rows []string) ([]string, error) {
	totals := map[float64]float64{}
	for _, r := range rows {
		var m struct {
			Bidder   float64 `json:"bidder"`
			BidCount float64 `json:"bid_count"`
		}
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			return nil, err
		}
		totals[m.Bidder] += m.BidCount
	}
	var out []string
	for b, n := range totals {
		out = append(out, fmt.Sprintf(`{"bidder":%v,"total_bid_count":%v}`, b, n))
	}
	return out, nil
}

// readOutput reads a query's records: from path, or, when the query's sink
// is partitioned (q10), from every part.jsonl under the out directory
// beside path, checking that each record's directories (name=value, Hive
// escapes) hold its own field values.
func readOutput(path string) ([]string, error) {
	if _, err := os.Stat(path); err == nil {
		return readLines(path, nil)
	}
	root := filepath.Join(filepath.Dir(path), "out")
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "part.jsonl" {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		parts := map[string]string{}
		for _, el := range strings.Split(filepath.ToSlash(rel), "/") {
			name, value, ok := strings.Cut(el, "=")
			if !ok {
				return fmt.Errorf("%s: directory %q is not name=value", p, el)
			}
			if parts[name], err = url.PathUnescape(value); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		lines, err := readLines(p, parts)
		got = append(got, lines...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the partitions under %s (there is no %s): %w", root, path, err)
	}
	return got, nil
}

// readLines reads path's records as canonical JSON; each must have the
// string fields parts gives.
func readLines(path string, parts map[string]string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var got []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		s, err := canonical(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(parts) > 0 {
			var m map[string]any
			_ = json.Unmarshal(sc.Bytes(), &m)
			for name, want := range parts {
				if m[name] != want {
					return nil, fmt.Errorf("%s: record %s is in %s=%s", path, s, name, want)
				}
			}
		}
		got = append(got, s)
	}
	return got, sc.Err()
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
