package worker

import (
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// target is where an engine Output with a given Target goes: a topic (sink
// topic or channel topic) or a file sink.
type target struct {
	topic string
	file  string
}

// fileInput is a bounded file source feeding the stage.
type fileInput struct {
	stream string // source operator ID
	path   string
	table  bool
}

// stageRunner runs one native stage.
type stageRunner struct {
	cfg      *config
	plan     *ir.Plan
	stage    *ir.Stage
	pipeline string
	// identity is the stage's stable name (ir.Pipeline.StageIdentity): the
	// group, transactional ID and state directory derive from it, also
	// for a plan whose stage IDs are not identities (tests, older plans).
	identity string
	group    string
	dlqTopic string
	log      *slog.Logger
	m        *Metrics

	topicStreams map[string]string // input topic → stream ID
	streamInputs map[string]string // stream ID → topic, or "file:PATH"
	fileInputs   []fileInput
	targets      map[string][]target // engine Output.Target → destinations
	exactlyOnce  bool

	sinks map[string]*files.Sink // open file sinks by path

	tables  globalTables // global table topics (tables.go)
	origins origins      // channel topics and their producers (origin.go)
	// upstream are the runners of this Run that produce the stage's
	// channel inputs (see linkUpstream).
	upstream []*stageRunner

	in, out, dead, lag atomic.Int64
	counters           *stateless.Counters // per operator, shared by the stage's engines
	stateResets        atomic.Int64
	done               atomic.Bool
	wms                watermarks
	// limits are the largest record batches the output topics accept
	// (topicLimits), set before the first record.
	limits map[string]int
}

func newStageRunner(plan *ir.Plan, st *ir.Stage, cfg *config) (*stageRunner, error) {
	pl := plan.Pipeline
	r := &stageRunner{
		cfg:          cfg,
		plan:         plan,
		stage:        st,
		pipeline:     pl.Name,
		identity:     pl.StageIdentity(st),
		group:        GroupID(plan, st),
		dlqTopic:     pl.DeadLetterTopic,
		log:          cfg.logger.With("pipeline", pl.Name, "stage", st.ID),
		m:            cfg.metrics,
		topicStreams: map[string]string{},
		streamInputs: map[string]string{},
		targets:      map[string][]target{},
		sinks:        map[string]*files.Sink{},
		counters:     stateless.NewCounters(),
	}
	if r.dlqTopic == "" {
		r.dlqTopic = pl.Name + ".dlq"
	}
	inStage := map[string]bool{}
	for _, id := range st.Operators {
		inStage[id] = true
	}
	addTopic := func(topic, stream string) error {
		if prev, ok := r.topicStreams[topic]; ok && prev != stream {
			return fmt.Errorf("stage %s: topic %q carries both %s and %s", st.ID, topic, prev, stream)
		}
		r.topicStreams[topic] = stream
		r.streamInputs[stream] = topic
		return nil
	}
	addSource := func(op *ir.Operator) error {
		switch {
		case op.Source.File != "":
			if _, ok := r.streamInputs[op.ID]; !ok {
				r.fileInputs = append(r.fileInputs, fileInput{stream: op.ID, path: op.Source.File, table: op.Source.Table})
				r.streamInputs[op.ID] = "file:" + op.Source.File
			}
			return nil
		case op.Source.Topic != "":
			return addTopic(op.Source.Topic, op.ID)
		default:
			return fmt.Errorf("stage %s: source %s has neither topic nor file", st.ID, op.ID)
		}
	}
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op == nil {
			return nil, fmt.Errorf("stage %s: unknown operator %q", st.ID, id)
		}
		if op.Kind == ir.KindSource && op.Source != nil {
			if err := addSource(op); err != nil {
				return nil, err
			}
		}
		if op.Kind == ir.KindSink && op.Sink != nil {
			t := target{topic: op.Sink.Topic, file: op.Sink.File}
			if t.topic == "" && t.file == "" {
				return nil, fmt.Errorf("stage %s: sink %s has neither topic nor file", st.ID, op.ID)
			}
			r.targets[op.ID] = append(r.targets[op.ID], t)
			if op.Sink.Delivery == ir.ExactlyOnce {
				r.exactlyOnce = true
			}
		}
		for _, in := range op.Inputs {
			producer, _ := ir.StreamOperator(in)
			if inStage[producer] {
				continue
			}
			if ch := channelTo(plan, in, id); ch != nil {
				if err := addTopic(ch.Topic, ch.Stream); err != nil {
					return nil, err
				}
				continue
			}
			if src := pl.Operator(producer); src != nil && src.Kind == ir.KindSource && src.Source != nil {
				if err := addSource(src); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("stage %s: no channel brings %s to %s", st.ID, in, id)
		}
	}
	// Channels leaving this stage: the engine emits their stream ID.
	for _, ch := range plan.Channels {
		producer, _ := ir.StreamOperator(ch.From)
		if !inStage[producer] || inStage[ch.To] {
			continue
		}
		dup := false
		for _, t := range r.targets[ch.Stream] {
			dup = dup || t.topic == ch.Topic
		}
		if !dup {
			r.targets[ch.Stream] = append(r.targets[ch.Stream], target{topic: ch.Topic})
		}
	}
	if len(r.topicStreams) > 0 && len(r.fileInputs) > 0 {
		return nil, fmt.Errorf("stage %s: reads both topics and files; a native stage reads one kind (load the file into a topic with kafka.LoadFile)", st.ID)
	}
	if len(r.topicStreams) == 0 && len(r.fileInputs) == 0 {
		return nil, fmt.Errorf("stage %s: has no inputs", st.ID)
	}
	r.tables.topics = r.globalTableTopics()
	r.initOrigins()
	// Tables first: a stream–table join needs the table before the stream.
	sort.SliceStable(r.fileInputs, func(i, j int) bool { return r.fileInputs[i].table && !r.fileInputs[j].table })
	return r, nil
}

func channelTo(plan *ir.Plan, stream, to string) *ir.Channel {
	for _, ch := range plan.Channels {
		if ch.Stream == stream && ch.To == to {
			return ch
		}
	}
	return nil
}

// inputTopics returns the stage's input topics, sorted.
func (r *stageRunner) inputTopics() []string {
	var ts []string
	for t := range r.topicStreams {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// outputTopics returns the topics the stage produces to, including the
// dead-letter topic, sorted.
func (r *stageRunner) outputTopics() []string {
	ts := []string{r.dlqTopic}
	for _, dests := range r.targets {
		for _, d := range dests {
			if d.topic != "" {
				ts = append(ts, d.topic)
			}
		}
	}
	sort.Strings(ts)
	return ts
}

func (r *stageRunner) progress() StageProgress {
	p := StageProgress{
		Stage:       r.stage.ID,
		RecordsIn:   r.in.Load(),
		RecordsOut:  r.out.Load(),
		DeadLetters: r.dead.Load(),
		Lag:         r.lag.Load(),
		StateResets: r.stateResets.Load(),
		Done:        r.done.Load(),
	}
	p.WatermarkMs, p.HasWatermark = r.wms.min()
	if r.stage.Backend == ir.BackendNative {
		for _, oc := range r.counters.Operators(r.plan.Pipeline, r.stage) {
			p.Operators = append(p.Operators, OperatorProgress{Operator: oc.Operator, RecordsIn: oc.In, RecordsOut: oc.Out})
		}
	}
	return p
}

// fileSink returns the open sink for path, creating the file on first use.
func (r *stageRunner) fileSink(path string) (*files.Sink, error) {
	if s, ok := r.sinks[path]; ok {
		return s, nil
	}
	s, err := files.Create(path)
	if err != nil {
		return nil, err
	}
	r.sinks[path] = s
	return s, nil
}

func (r *stageRunner) flushFiles() error {
	for _, s := range r.sinks {
		if err := s.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func (r *stageRunner) closeFiles() error {
	var first error
	for p, s := range r.sinks {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
		delete(r.sinks, p)
	}
	return first
}
