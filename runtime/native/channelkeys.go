package native

import (
	"fmt"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// channelOut is one channel topic that a stream of the stage feeds, with
// the programs of its key (ir.Channel.Key). A stream that feeds at least
// one keyed channel is emitted once per channel topic, each Output naming
// its Topic and carrying that channel's key, so that the I/O layer produces
// records with equal keys to the same partition of each topic.
type channelOut struct {
	topic    string
	consumer string // the channel's consumer, named in dead letters
	key      []*eval.Program
	tapped   bool // the stream is also a tap: emit it once without a topic
}

// buildChannelKeys compiles the keys of the keyed channels leaving the
// stage against their stream's layout. It runs after the nodes are built,
// when every stream produced in the stage has its layout.
func (e *Engine) buildChannelKeys(c eval.Consts) error {
	inStage := map[string]bool{}
	for _, id := range e.stage.Operators {
		inStage[id] = true
	}
	keyed := map[string]bool{} // streams with at least one keyed channel
	for _, ch := range e.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if inStage[prod] && !inStage[ch.To] && len(ch.Key) > 0 {
			keyed[ch.From] = true
		}
	}
	for _, ch := range e.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if !keyed[ch.From] || !inStage[prod] || inStage[ch.To] {
			continue
		}
		rt := e.route(ch.From)
		if slices.ContainsFunc(rt.channels, func(o channelOut) bool { return o.topic == ch.Topic }) {
			continue
		}
		l, ok := e.layouts[ch.From]
		if !ok {
			return fmt.Errorf("native: channel %s → %s: stream %s has no layout in stage %s", ch.From, ch.To, ch.From, e.stage.ID)
		}
		out := channelOut{topic: ch.Topic, consumer: ch.To, tapped: slices.Contains(e.cfg.taps, ch.From)}
		for _, k := range ch.Key {
			p, diags := eval.Compile(k, []eval.Root{{Name: "record", Layout: l}}, c)
			if diags.HasErrors() {
				return fmt.Errorf("native: key of channel %s → %s: %s", ch.From, ch.To, diags.Error())
			}
			out.key = append(out.key, p)
		}
		rt.channels = append(rt.channels, out)
	}
	return nil
}

// channelFormat is the record format of channel topics between stages: the
// engine writes them and reads them back, whatever the sources' formats.
const channelFormat = stateless.ChannelFormat

// export emits a record of a stream that leaves the stage or is tapped:
// once with no topic (every destination of the stream), or, for a stream
// with keyed channels, once per channel topic with its key.
func (e *Engine) export(rt *route, x rec) error {
	e.buf = x.r.AppendJSON(e.buf[:0]) // channelFormat
	value := e.keep(e.buf)
	if len(rt.channels) == 0 || rt.channels[0].tapped {
		if err := e.out.Emit(Output{Target: rt.stream, Value: value, TimestampMs: x.ts}); err != nil {
			return err
		}
	}
	for i := range rt.channels {
		ch := &rt.channels[i]
		out := Output{Target: rt.stream, Topic: ch.topic, Value: value, TimestampMs: x.ts}
		if len(ch.key) > 0 {
			key, err := e.channelKey(ch, x)
			if err != nil {
				if err := e.deadLetter(ch.consumer, ReasonEval, fmt.Errorf("repartition key: %w", err)); err != nil {
					return err
				}
				continue
			}
			out.Key = key
		}
		if err := e.out.Emit(out); err != nil {
			return err
		}
	}
	return nil
}

// channelKey evaluates a channel's key over x: one string value is its raw
// bytes (as a sink key), anything else the JSON of the value, several
// values the JSON array of them. A null key is "null", not a missing key:
// the partitioner must send every null-keyed record to one partition.
func (e *Engine) channelKey(ch *channelOut, x rec) ([]byte, error) {
	b, err := stateless.AppendChannelKey(e.buf[:0], ch.key, eval.Frame{x.r})
	if err != nil {
		return nil, err
	}
	e.buf = b
	return e.keep(b), nil
}
