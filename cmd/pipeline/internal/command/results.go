package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
)

// maxResultRows is how many records of each sink apply prints.
const maxResultRows = 20

// showResults prints what each sink holds after a run: topic sinks as a
// table of their committed records, file sinks as a count, and how many
// records went to the dead-letter topic.
func (m *Meta) showResults(ctx context.Context, p *ir.Plan, s *session) error {
	cl, err := kgo.NewClient(append(append([]kgo.Opt(nil), s.clientOpts...), kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, op := range p.Pipeline.Operators {
		if op.Sink == nil {
			continue
		}
		if op.Sink.File != "" && len(op.Sink.PartitionBy) > 0 {
			// Partitioned: the files are the sink's name under name=value
			// directories (runtime/files.PartitionPath).
			pattern := filepath.Dir(op.Sink.File)
			for _, f := range op.Sink.PartitionBy {
				pattern = filepath.Join(pattern, f+"=*")
			}
			paths, err := filepath.Glob(filepath.Join(pattern, filepath.Base(op.Sink.File)))
			if err != nil {
				return err
			}
			total := 0
			for _, path := range paths {
				n, err := countLines(path)
				if err != nil {
					return err
				}
				total += n
			}
			fmt.Fprintf(m.Stdout, "\n%s: %s in %d partition files under %s\n", op.ID, records(total), len(paths), filepath.Dir(op.Sink.File))
			continue
		}
		if op.Sink.File != "" {
			n, err := countLines(op.Sink.File)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "\n%s: %s in %s\n", op.ID, records(n), op.Sink.File)
			continue
		}
		recs, err := readTopic(ctx, cl, op.Sink.Topic)
		if err != nil {
			return fmt.Errorf("read %s: %w", op.Sink.Topic, err)
		}
		fmt.Fprintf(m.Stdout, "\n%s: %s in topic %s\n", op.ID, records(len(recs)), op.Sink.Topic)
		writeTable(m.Stdout, columns(p.Pipeline, op), recs)
	}
	dlq, err := readTopic(ctx, cl, p.Pipeline.DeadLetterTopic)
	if err != nil {
		return fmt.Errorf("read %s: %w", p.Pipeline.DeadLetterTopic, err)
	}
	if len(dlq) > 0 {
		fmt.Fprintf(m.Stdout, "\n%s went to the dead-letter topic %s.\n", records(len(dlq)), p.Pipeline.DeadLetterTopic)
	}
	return nil
}

// readTopic returns the values of every committed record of topic, in
// partition then offset order. A topic that does not exist, or is empty, has
// none. Transaction markers occupy offsets that read_committed never returns,
// so the end is recognized by a quiet poll after the end offsets were
// listed, not by reaching them.
func readTopic(ctx context.Context, cl *kgo.Client, topic string) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	parts := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			parts[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(parts) == 0 {
		return nil, nil
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts})
	defer func() {
		ps := make([]int32, 0, len(parts))
		for p := range parts {
			ps = append(ps, p)
		}
		cl.RemoveConsumePartitions(map[string][]int32{topic: ps})
	}()
	byPart := map[int32][][]byte{}
	for ctx.Err() == nil {
		pollCtx, cancelPoll := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pollCtx)
		cancelPoll()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			if r.Topic == topic {
				byPart[r.Partition] = append(byPart[r.Partition], r.Value)
				n++
			}
		})
		if n == 0 {
			break
		}
	}
	ps := make([]int32, 0, len(byPart))
	for p := range byPart {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	var out [][]byte
	for _, p := range ps {
		out = append(out, byPart[p]...)
	}
	return out, nil
}

// columns are the attributes of the records a sink receives, in the order
// the spec declares them: the fields of the map, join or aggregate that shaped
// them (filter, route and dedupe pass records through), an aggregate's key
// fields first and the window bounds last; sorted for anything else.
func columns(p *ir.Pipeline, sink *ir.Operator) []string {
	var names []string
	prod := sink
	for prod != nil && len(prod.Inputs) == 1 && (prod == sink || prod.Filter != nil || prod.Route != nil || prod.Dedupe != nil) {
		opID, _ := ir.StreamOperator(prod.Inputs[0])
		prod = p.Operator(opID)
	}
	if prod != nil {
		switch {
		case prod.Map != nil:
			names = fieldNames(prod.Map.Fields)
		case prod.Join != nil:
			names = fieldNames(prod.Join.Fields)
		case prod.Aggregate != nil:
			names = fieldNames(prod.Aggregate.Key)
			for _, f := range prod.Aggregate.Fields {
				names = append(names, f.Name)
			}
			names = append(names, "window_start", "window_end")
		}
	}
	attrs := sink.Schema.Type.AttributeTypes()
	if len(names) != len(attrs) {
		names = names[:0]
		for name := range attrs {
			names = append(names, name)
		}
		sort.Strings(names)
	}
	return names
}

func fieldNames(fs []ir.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// writeTable prints JSON records as a table with the given columns, at most
// maxResultRows rows.
func writeTable(w io.Writer, cols []string, recs [][]byte) {
	if len(recs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.ToUpper(strings.Join(cols, "\t")))
	for i, rec := range recs {
		if i == maxResultRows {
			break
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(rec, &obj); err != nil {
			fmt.Fprintf(tw, "  (not JSON: %q)\n", rec)
			continue
		}
		cells := make([]string, len(cols))
		for j, c := range cols {
			cells[j] = cell(obj[c])
		}
		fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
	}
	tw.Flush()
	if len(recs) > maxResultRows {
		fmt.Fprintf(w, "  … and %d more\n", len(recs)-maxResultRows)
	}
}

// cell renders one JSON value for a table: strings without quotes, null
// and absent as "null", anything else as compact JSON.
func cell(v json.RawMessage) string {
	if len(v) == 0 {
		return "null"
	}
	var s string
	if v[0] == '"' && json.Unmarshal(v, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

// countLines counts the records of a JSON-lines file: its lines, the last
// one with or without a newline.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, last := 0, byte('\n')
	buf := make([]byte, 1<<16)
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err == io.EOF {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// records is "1 record" or "N records".
func records(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
