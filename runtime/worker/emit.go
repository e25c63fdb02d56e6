package worker

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// fileWrite is one record for a file sink, written after the batch: its
// line (the value and its '\n') is batch.fileData[start:end].
type fileWrite struct {
	path       string
	start, end int
}

// batch collects what one partition group's engine emits during one
// iteration. It is used by one goroutine; the runner writes its contents
// out after every partition group has finished.
type batch struct {
	r       *stageRunner
	records []*kgo.Record
	files   []fileWrite
	// fileData holds the lines of files, back to back: one buffer for the
	// batch instead of a copy per record, and written in runs.
	fileData []byte
	out      map[string]int64    // by target
	dead     map[[2]string]int64 // by operator, reason
	origin   int32               // the partition group, marked on channel records
	// cur is the input being processed, nil while windows fire (Advance,
	// Drain): a too_large dead letter names its origin.
	cur *record.Input
}

func newBatch(r *stageRunner) *batch {
	return &batch{r: r, out: map[string]int64{}, dead: map[[2]string]int64{}}
}

// next returns an empty batch for the iteration after b, once b has been
// written: it reuses b's file buffers, whose lines are in the files now.
func (b *batch) next() *batch {
	n := newBatch(b.r)
	n.files, n.fileData = b.files[:0], b.fileData[:0]
	return n
}

var _ record.Emitter = (*batch)(nil)

// Emit routes an output to the destination its Topic names (for a file
// sink, with no Topic, the sink's file). Key and value are copied: the
// engine reuses their memory after Emit returns (see package record).
func (b *batch) Emit(o record.Output) error {
	dests, ok := b.r.targets[o.Target]
	if !ok {
		return fmt.Errorf("engine emitted to %q, which is no sink or channel of stage %s", o.Target, b.r.stage.ID)
	}
	if o.Topic != "" {
		var one []target
		for _, d := range dests {
			if d.topic == o.Topic {
				one = append(one, d)
			}
		}
		if len(one) == 0 {
			return fmt.Errorf("engine emitted %s to topic %q, which is no destination of it in stage %s", o.Target, o.Topic, b.r.stage.ID)
		}
		dests = one
	}
	var key, value []byte
	cloned := false
	for _, d := range dests {
		if d.file != "" {
			start := len(b.fileData)
			b.fileData = append(append(b.fileData, o.Value...), '\n')
			b.files = append(b.files, fileWrite{path: files.PartitionPath(d.file, o.Partition), start: start, end: len(b.fileData)})
			continue
		}
		if !cloned {
			key, value, cloned = clone(o.Key), clone(o.Value), true
		}
		rec := &kgo.Record{Topic: d.topic, Key: key, Value: value, Headers: b.r.originHeader(d.topic, b.origin), Timestamp: RecordTimestamp(o.TimestampMs)}
		if b.r.origins.out[d.topic] {
			// A channel: the next stage takes the exact event time from here.
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: HeaderEventTime, Value: record.EncodeEventTime(o.TimestampMs)})
			if o.Kind != 0 {
				rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: record.HeaderRowKind, Value: []byte{'0' + o.Kind}})
			}
		}
		if over, limit := b.r.overLimit(rec); over > 0 {
			b.tooLarge(o.Target, rec, limit)
			continue
		}
		b.records = append(b.records, rec)
	}
	b.out[o.Target]++
	return nil
}

// DeadLetter sends the rejected input record, unchanged, to the dead-letter
// topic with the reason and its origin in headers.
func (b *batch) DeadLetter(dl record.DeadLetter) error {
	in := dl.Input
	rec := &kgo.Record{
		Topic: b.r.dlqTopic,
		Key:   clone(in.Key),
		Value: clone(in.Value),
		Headers: append([]kgo.RecordHeader{
			{Key: record.HeaderError, Value: []byte(dl.Err)},
			{Key: record.HeaderReason, Value: []byte(dl.Reason)},
			{Key: record.HeaderOperator, Value: []byte(dl.Operator)},
		}, b.r.originHeaders(in.Stream, in.Partition, in.Offset)...),
	}
	rec.Timestamp = RecordTimestamp(in.TimestampMs)
	b.addDead(rec, dl.Operator, dl.Reason, int64(len(in.Value)))
	return nil
}

// originHeaders locate an input record of stream: its source topic (or
// file), partition and offset.
func (r *stageRunner) originHeaders(stream string, partition int32, offset int64) []kgo.RecordHeader {
	origin := r.streamInputs[stream]
	if origin == "" {
		origin = stream
	}
	return []kgo.RecordHeader{
		{Key: record.HeaderSourceTopic, Value: []byte(origin)},
		{Key: record.HeaderSourcePartition, Value: []byte(strconv.FormatInt(int64(r.sourcePartition(stream, partition)), 10))},
		{Key: record.HeaderSourceOffset, Value: []byte(strconv.FormatInt(offset, 10))},
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// writeFiles writes a finished batch's file records.
func (r *stageRunner) writeFiles(b *batch) error {
	// Consecutive lines for one file are adjacent in fileData: each run
	// is one write.
	for i := 0; i < len(b.files); {
		w := b.files[i]
		j, end := i+1, w.end
		for j < len(b.files) && b.files[j].path == w.path && b.files[j].start == end {
			end = b.files[j].end
			j++
		}
		s, err := r.fileSink(w.path)
		if err != nil {
			return err
		}
		if err := s.WriteLines(b.fileData[w.start:end], int64(j-i)); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// account adds a finished batch's counts to the runner's counters and
// metrics.
func (r *stageRunner) account(b *batch) {
	for target, n := range b.out {
		r.out.Add(n)
		r.m.recordsOut.WithLabelValues(r.pipeline, r.stage.ID, target).Add(float64(n))
	}
	for k, n := range b.dead {
		r.dead.Add(n)
		r.m.deadLetters.WithLabelValues(r.pipeline, r.stage.ID, k[0], k[1]).Add(float64(n))
	}
}
