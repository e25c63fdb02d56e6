package beam

import (
	"fmt"
	"math"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Feed is the records of one input stream of a stage, in the order they are
// fed to it.
type Feed struct {
	Stream  string
	Records []Record
}

// Sequence prepares records that an IO feeds to stage stageID of p one
// stream after another, in feeds order, as a test or a set of bounded files
// does: it numbers them (Record.Seq, from 1) and sets each one's
// WatermarkMs to the stage watermark the native engine would have when it
// arrives. Every partition of a stream feed counts from the start, so the
// watermark waits for every stream; table sources never count; a record
// that fails to decode or has no valid event time does not move it, nor
// does one further than its source's max_future ahead of the greatest
// event time seen so far, which gets Future set.
//
// With these, the translated pipeline gives exactly the native engine's
// results however the runner schedules its bundles.
func Sequence(p *ir.Plan, stageID string, feeds []Feed) error {
	payload, err := encodePlan(p)
	if err != nil {
		return err
	}
	st, err := compileStage(payload, stageID)
	if err != nil {
		return err
	}
	type part struct {
		stream string
		p      int32
	}
	maxTs := map[part]int64{}
	for _, f := range feeds {
		in := st.inputs[f.Stream]
		if in == nil {
			return fmt.Errorf("beam: stage %s has no input %s", stageID, f.Stream)
		}
		if in.Table {
			continue
		}
		for _, r := range f.Records {
			maxTs[part{f.Stream, r.Partition}] = math.MinInt64
		}
	}
	wm, seq, seen := int64(math.MinInt64), int64(0), int64(math.MinInt64)
	for _, f := range feeds {
		in := st.inputs[f.Stream]
		codec, err := eval.NewCodecFor(in.codec)
		if err != nil {
			return err
		}
		for i := range f.Records {
			r := &f.Records[i]
			seq++
			r.Seq, r.WatermarkMs = seq, wm
			ts, _, _, err := in.eventTimeOf(codec, *r)
			if err != nil || in.Table {
				continue
			}
			if seen != math.MinInt64 {
				if err := eval.CheckFuture(ts, seen, in.maxFuture(p.Pipeline)); err != nil {
					r.Future = err.Error()
					continue
				}
			}
			seen = max(seen, ts)
			k := part{f.Stream, r.Partition}
			if ts <= maxTs[k] {
				continue
			}
			maxTs[k] = ts
			low := int64(math.MaxInt64)
			for _, m := range maxTs {
				low = min(low, m)
			}
			wm = max(wm, low)
		}
	}
	return nil
}

// maxFuture is the max_future bound of the input's event times.
func (in *inputSpec) maxFuture(p *ir.Pipeline) int64 {
	if in.Source != nil && in.Source.Source != nil {
		return in.Source.Source.MaxFuture()
	}
	return p.ChannelMaxFuture()
}
