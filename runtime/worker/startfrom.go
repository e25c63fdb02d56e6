package worker

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// startOffsets returns, for the stage's input topics read straight from a
// source whose start_from is not "earliest", the offset a partition with no
// committed offset starts at (kgo's reset offset is one per client, and a
// channel topic must always start at its beginning, or records written
// before the group joined would be skipped). Nil when every topic starts
// at its beginning.
func (r *stageRunner) startOffsets() (map[string]kgo.Offset, error) {
	var out map[string]kgo.Offset
	for topic, stream := range r.topicStreams {
		op := r.plan.Pipeline.Operator(stream)
		if op == nil || op.Source == nil || op.Source.Topic != topic || r.tables.topics[topic] {
			continue
		}
		var at kgo.Offset
		switch pos := op.Source.StartPosition(); pos {
		case ir.StartEarliest:
			continue
		case ir.StartLatest:
			at = kgo.NewOffset().AtEnd()
		default:
			ms, err := eval.ParseTimestamp(pos)
			if err != nil {
				return nil, fmt.Errorf("%s: start_from: %w", op.ID, err)
			}
			at = kgo.NewOffset().AfterMilli(ms)
		}
		if out == nil {
			out = map[string]kgo.Offset{}
		}
		out[topic] = at
	}
	return out, nil
}

// adjustStart is a kgo.AdjustFetchOffsetsFn: a partition of a topic in
// starts that has no committed offset (kgo gives it the client's reset
// offset, the log start, -2) starts where its source's start_from says.
// Committed offsets are kept: start_from applies only where the group has
// none.
func adjustStart(starts map[string]kgo.Offset) func(context.Context, map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	return func(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
		for topic, parts := range offsets {
			at, ok := starts[topic]
			if !ok {
				continue
			}
			for p, o := range parts {
				if o.EpochOffset().Offset == -2 { // no commit: the reset offset
					parts[p] = at
				}
			}
		}
		return offsets, nil
	}
}
