package beam

import (
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

func init() {
	register.DoFn3x0[Record, func(element), func(DeadLetter)](&entryFn{})
	register.DoFn3x1[element, func(element), func(DeadLetter), error](&segmentFn{})
	register.DoFn2x0[element, func(element)](&selectFn{})
	register.DoFn2x0[element, func(Record)](&recordFn{})
	register.DoFn3x1[element, func(Record), func(DeadLetter), error](&outputFn{})
}

// entryFn turns an input's records into elements, and dead-letters one
// whose event time its IO found beyond max_future (Record.Future), or a
// file line longer than max_record_bytes (Record.TooLarge), as consumer
// OpID's, before any operator sees it.
type entryFn struct {
	Stream string
	OpID   string
}

func (f *entryFn) ProcessElement(r Record, emit func(element), dead func(DeadLetter)) {
	el := element{
		Value: r.Value, Key: r.Key, TsMs: r.TimestampMs, Seq: r.Seq, WmMs: r.WatermarkMs, Kind: r.Kind,
		OriginStream: f.Stream, OriginPartition: r.Partition, OriginOffset: r.Offset,
	}
	// The record is the input as read: its dead letter keeps it (the
	// start of a line too large), as native's do.
	reason, why := "", ""
	switch {
	case r.Future != "":
		reason, why = ReasonFuture, r.Future
	case r.TooLarge != "":
		reason, why = record.ReasonTooLarge, r.TooLarge
	}
	if reason != "" {
		dl := el.deadLetter(f.OpID, reason, errors.New(why))
		dl.Input.Key, dl.Input.Value = r.Key, r.Value
		dead(dl)
		return
	}
	emit(el)
}

// segmentFn runs a stateless segment (segment.go) on runtime/stateless's
// Processor: every output comes out tagged with its Target and Topic and
// carries the input element's arrival order and watermark.
type segmentFn struct {
	fnBase
	Root string
	Taps []string

	proc *stateless.Processor
}

func (f *segmentFn) Setup() error {
	if err := f.setup(); err != nil {
		return err
	}
	var err error
	f.proc, err = f.st.newProcessor(f.st.segment(f.Root, f.Taps))
	return err
}

func (f *segmentFn) ProcessElement(el element, emit func(element), dead func(DeadLetter)) error {
	if el.Value == nil && len(el.Key) > 0 {
		if in := f.st.inputs[f.Root]; in != nil && in.Table {
			// A table tombstone: it deletes the key's row in the joins
			// that read the table (tableindex.go) and goes nowhere else,
			// as on native.
			if f.st.keyedReads(f.Root) {
				el.Target, el.TableKey, el.Retract, el.Key = f.Root, el.Key, true, nil
				emit(el)
			}
			return nil
		}
	}
	in := record.Input{Stream: f.Root, Key: el.Key, Value: el.Value, TimestampMs: el.TsMs, Kind: el.Kind}
	if el.Before == nil && el.Kind == 0 {
		return f.proc.Process(in, segmentEmitter{in: el, emit: emit, dead: dead})
	}
	// A changelog's element (changelog.go): an update's two halves go
	// through the Processor back to back, as on native, and its outputs
	// are paired again and numbered.
	var outs []element
	em := segmentEmitter{in: el, emit: func(o element) { outs = append(outs, o) }, dead: dead}
	if el.Before != nil {
		ub := in
		ub.Value, ub.Kind = el.Before, uint8(eval.UpdateBefore)
		if err := f.proc.Process(ub, em); err != nil {
			return err
		}
	}
	if err := f.proc.Process(in, em); err != nil {
		return err
	}
	for _, o := range pairUpdates(outs) {
		emit(o)
	}
	return nil
}

// segmentEmitter attaches the input element's metadata to the Processor's
// outputs and dead letters.
type segmentEmitter struct {
	in   element
	emit func(element)
	dead func(DeadLetter)
}

func (e segmentEmitter) Emit(o record.Output) error {
	el := e.in
	el.Target, el.Topic, el.TsMs, el.Side, el.PartitionDir = o.Target, o.Topic, o.TimestampMs, 0, o.Partition
	el.Kind, el.Before = o.Kind, nil
	el.Value = append([]byte(nil), o.Value...)
	el.Key = nil
	if o.Key != nil {
		el.Key = append([]byte{}, o.Key...)
	}
	e.emit(el)
	return nil
}

func (e segmentEmitter) DeadLetter(d record.DeadLetter) error {
	dl := e.in.deadLetter(d.Operator, d.Reason, fmt.Errorf("%s", d.Err))
	if d.Reason == ReasonDecode {
		dl.Input.Key, dl.Input.Value = e.in.Key, e.in.Value
	}
	e.dead(dl)
	return nil
}

// selectFn keeps a segment's elements for one exported stream, for the
// keyed operators that read it.
type selectFn struct{ Target string }

func (f *selectFn) ProcessElement(el element, emit func(element)) {
	if el.Target == f.Target && el.Topic == "" {
		el.Target, el.Key = "", nil
		emit(el)
	}
}

// recordFn keeps a segment's records for one sink, channel topic or tap.
type recordFn struct {
	Target string
	Topic  string
}

func (f *recordFn) ProcessElement(el element, emit func(Record)) {
	if el.Target == f.Target && el.Topic == f.Topic && !el.Retract {
		for _, r := range splitUpdate(el) {
			emit(r)
		}
	}
}

func (el element) record() Record {
	return Record{Key: el.Key, Value: el.Value, TimestampMs: el.TsMs, Seq: el.Seq, WatermarkMs: el.WmMs, Kind: el.Kind, Ver: el.Ver, Sub: el.Sub, PartitionDir: el.PartitionDir}
}

// outputFn writes a keyed operator's output stream that leaves the stage
// directly (no stateless operator between): as a tap, or on a channel
// keyed by the channel's key (stateless.AppendChannelKey, as every backend
// keys channels).
type outputFn struct {
	fnBase
	Stream string
	Topic  string

	key []*eval.Program
}

func (f *outputFn) Setup() error {
	if err := f.setup(); err != nil {
		return err
	}
	l := f.st.layouts[f.Stream]
	for _, ch := range f.st.plan.Channels {
		if f.Topic == "" || ch.From != f.Stream || ch.Topic != f.Topic {
			continue
		}
		for _, k := range ch.Key {
			p, diags := eval.Compile(k, []eval.Root{{Name: "record", Layout: l}}, f.st.consts)
			if diags.HasErrors() {
				return fmt.Errorf("beam: key of channel %s → %s: %s", ch.From, ch.To, diags.Error())
			}
			f.key = append(f.key, p)
		}
		break
	}
	return nil
}

func (f *outputFn) ProcessElement(el element, emit func(Record), dead func(DeadLetter)) error {
	for _, out := range splitUpdate(el) {
		out.Key = nil
		if len(f.key) > 0 {
			r, err := eval.DecodeJSON(f.st.layouts[f.Stream], out.Value)
			if err != nil {
				return fmt.Errorf("beam: output %s: %w", f.Stream, err)
			}
			if out.Key, err = stateless.AppendChannelKey(nil, f.key, eval.Frame{r}); err != nil {
				dead(el.deadLetter(f.Stream, ReasonEval, fmt.Errorf("repartition key: %w", err)))
				continue
			}
		}
		emit(out)
	}
	return nil
}
