package broker

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// genericModule is the generic transform module (./module), built by
// `go generate` (generate.go) and checked in, so that compiling a pipeline
// needs no Go toolchain.
//
//go:embed module.wasm
var genericModule []byte

// Limits of a Redpanda data transform.
const (
	// MaxOutputTopics is the most output topics a transform may write,
	// the dead-letter topic included.
	MaxOutputTopics = 8
	// MaxEnvBytes bounds a transform's environment: names and values of
	// every variable together.
	MaxEnvBytes = 2000
	// MaxNameLen bounds a transform's name.
	MaxNameLen = 128
)

// Artifact is a broker stage compiled into a deployable transform.
type Artifact struct {
	Name         string            // transform name, derived from pipeline and stage ID, valid for Redpanda
	InputTopic   string            // the one topic the transform reads
	OutputTopics []string          // ≤ 8, including the dead-letter topic when used
	Env          map[string]string // transform environment (≤ 2,000 bytes in all)
	ModuleSize   int               // bytes of Module: every stage's module is the generic one's size
	MemoryBytes  int64             // linear memory the module needs at run time (for plan's warning)

	// Stage is the stage's ID, and InputStream the stream ID its input
	// topic carries.
	Stage       string
	InputStream string
	// Targets maps each output topic to what the stage's records there
	// are: a sink operator ID, a channel's stream ID, or a tapped stream;
	// the dead-letter topic maps to "".
	Targets map[string]string
	// DeadLetterTopic is the output topic of rejected records.
	DeadLetterTopic string
	// From is where the transform starts reading InputTopic when first
	// deployed: its source's start_from (a channel topic: its start).
	// Redpanda keeps a transform's own offsets across redeploys.
	From *StartOffset

	channels map[string]bool // output topics that are channel topics
	// config is the stage's module configuration; Module and SHA256
	// derive the module and its digest from it when asked, so planning
	// many broker stages never copies or hashes megabytes per stage.
	config []byte
	module []byte
	sha256 string
	// secrets maps the sensitive constants the stage reads to the Env
	// variables that carry them (see SecretEnv).
	secrets map[string]string
}

// Compile compiles stage stageID of p, which must be a broker stage of
// stateless operators reading one topic, into a transform: the generic
// module with the stage's configuration placed into its reserved data.
func Compile(p *ir.Plan, stageID string) (*Artifact, error) {
	return compile(p, stageID, compileOptions{})
}

// compileOptions are the test runner's relaxations: it feeds given records
// instead of reading a topic, and observes taps.
type compileOptions struct {
	taps []string
	// anyIO lets file sources and sinks stand for topics named after them.
	anyIO bool
}

func compile(p *ir.Plan, stageID string, o compileOptions) (*Artifact, error) {
	if p == nil || p.Pipeline == nil {
		return nil, errors.New("broker: plan has no pipeline")
	}
	pl := p.Pipeline
	st := p.Stage(stageID)
	if st == nil {
		return nil, fmt.Errorf("broker: plan has no stage %q", stageID)
	}
	if st.Backend != ir.BackendBroker {
		return nil, fmt.Errorf("broker: stage %s is placed on %s, not broker", st.ID, st.Backend)
	}
	if err := stateless.Check(pl, st); err != nil {
		return nil, fmt.Errorf("broker: stage %s cannot run in a transform: %w", st.ID, err)
	}
	identity := pl.StageIdentity(st)
	a := &Artifact{Name: TransformName(pl.Name, identity), Stage: st.ID, Targets: map[string]string{}, channels: map[string]bool{}}
	a.DeadLetterTopic = pl.DeadLetterTopic
	if a.DeadLetterTopic == "" {
		a.DeadLetterTopic = pl.Name + ".dlq"
	}
	ins, err := stageInputs(p, st, o.anyIO)
	if err != nil {
		return nil, err
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("broker: stage %s reads %d streams (%s); a transform reads one topic", st.ID, len(ins), strings.Join(slices.Sorted(maps.Keys(ins)), ", "))
	}
	for s, t := range ins {
		a.InputStream, a.InputTopic = s, t
	}
	if a.From, err = startOffset(pl, a.InputStream, a.InputTopic); err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", st.ID, err)
	}
	taps := map[string]string{}
	for _, t := range o.taps {
		taps[t] = "pipeline.tap." + t
	}
	if err := a.addOutputs(p, st, taps, o.anyIO); err != nil {
		return nil, err
	}
	sp, secrets, err := stagePlan(p, st)
	if err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", st.ID, err)
	}
	a.Env = map[string]string{"PIPELINE_NAME": pl.Name, "PIPELINE_STAGE": identity}
	maps.Copy(a.Env, secrets.env)
	a.secrets = secrets.refs
	if err := CheckEnv(a.Env); err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w (sensitive values the stage reads travel in it: %s)", st.ID, err, secretNames(a))
	}
	cfg := &modconf.Config{
		Version:         modconf.Version,
		Plan:            sp,
		Stage:           identity,
		Stream:          a.InputStream,
		InputTopic:      a.InputTopic,
		DeadLetterTopic: a.DeadLetterTopic,
		Taps:            taps,
		Secrets:         secrets.refs,
	}
	b, err := modconf.Encode(cfg)
	if err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", st.ID, err)
	}
	if err := validate(b, a.Env); err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", st.ID, err)
	}
	if len(b) > modconf.Size {
		return nil, fmt.Errorf("broker: stage %s: configuration is %d bytes; the module reserves %d", st.ID, len(b), modconf.Size)
	}
	g, err := generic()
	if err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", st.ID, err)
	}
	a.config, a.ModuleSize, a.MemoryBytes = b, len(genericModule), g.memoryBytes
	return a, nil
}

// Module returns the generic module with this stage's configuration
// patched in: the bytes to deploy.
func (a *Artifact) Module() []byte {
	if a.module == nil {
		m, err := Patch(genericModule, a.config)
		if err != nil { // compile checked the module and the size
			panic(fmt.Sprintf("broker: patch a checked module: %v", err))
		}
		a.module = m
	}
	return a.module
}

// SHA256 returns the hex digest of Module: unchanged transforms are not
// redeployed. It hashes only what follows the configuration area, resuming
// from the generic module's digest state before it.
func (a *Artifact) SHA256() string {
	if a.sha256 == "" {
		g, err := generic()
		if err != nil {
			panic(fmt.Sprintf("broker: digest a checked module: %v", err))
		}
		h := sha256.New()
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(g.prefixState); err != nil {
			panic(fmt.Sprintf("broker: resume the module digest: %v", err))
		}
		area := bytes.Repeat([]byte{' '}, modconf.Size)
		copy(area, a.config)
		h.Write(area)
		h.Write(genericModule[g.areaStart+modconf.Size:])
		a.sha256 = hex.EncodeToString(h.Sum(nil))
	}
	return a.sha256
}

// genericFacts are what every stage's module shares, computed once from
// the generic module.
type genericFacts struct {
	areaStart   int    // offset of the reserved configuration area
	prefixState []byte // SHA-256 state after the bytes before the area
	memoryBytes int64
}

var generic = sync.OnceValues(func() (*genericFacts, error) {
	if _, err := Patch(genericModule, nil); err != nil {
		return nil, err
	}
	start := bytes.Index(genericModule, []byte(modconf.Marker)) + len(modconf.Marker)
	h := sha256.New()
	h.Write(genericModule[:start])
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	mem, err := moduleMemoryBytes(genericModule)
	if err != nil {
		return nil, err
	}
	return &genericFacts{areaStart: start, prefixState: state, memoryBytes: mem}, nil
})

// validate decodes the configuration as the module will and builds its
// processor, so that a configuration the module would refuse fails here,
// at compile time, instead of in the broker.
func validate(b []byte, env map[string]string) error {
	cfg, err := modconf.Decode(b)
	if err != nil {
		return err
	}
	if err := cfg.Resolve(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		return err
	}
	var taps []string
	for s := range cfg.Taps {
		taps = append(taps, s)
	}
	_, err = stateless.New(cfg.Plan, cfg.Stage, stateless.WithTaps(taps...))
	return err
}

// stageInputs returns the streams the stage reads from outside it, with
// their topics.
func stageInputs(p *ir.Plan, st *ir.Stage, anyIO bool) (map[string]string, error) {
	pl := p.Pipeline
	inStage := stateless.InStage(st)
	ins := map[string]string{}
	addSource := func(op *ir.Operator) error {
		switch {
		case op.Source.Topic != "":
			ins[op.ID] = op.Source.Topic
		case anyIO:
			ins[op.ID] = "file:" + op.Source.File
		default:
			return fmt.Errorf("broker: stage %s: source %s reads a file; a transform reads a topic", st.ID, op.ID)
		}
		return nil
	}
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op.Kind == ir.KindSource {
			if err := addSource(op); err != nil {
				return nil, err
			}
		}
		for _, in := range op.Inputs {
			prod, _ := ir.StreamOperator(in)
			if inStage[prod] {
				continue
			}
			if ch := channelTo(p, in, id); ch != nil {
				ins[ch.Stream] = ch.Topic
				continue
			}
			if src := pl.Operator(prod); src != nil && src.Source != nil {
				if err := addSource(src); err != nil {
					return nil, err
				}
				continue
			}
			return nil, fmt.Errorf("broker: stage %s: no channel brings %s to %s", st.ID, in, id)
		}
	}
	return ins, nil
}

func channelTo(p *ir.Plan, stream, to string) *ir.Channel {
	for _, ch := range p.Channels {
		if ch.Stream == stream && ch.To == to {
			return ch
		}
	}
	return nil
}

// addOutputs collects the output topics: sinks, channels leaving the
// stage, taps, and the dead-letter topic.
func (a *Artifact) addOutputs(p *ir.Plan, st *ir.Stage, taps map[string]string, anyIO bool) error {
	pl := p.Pipeline
	inStage := stateless.InStage(st)
	add := func(topic, target string) error {
		if prev, ok := a.Targets[topic]; ok && prev != target {
			return fmt.Errorf("broker: stage %s: topic %q receives both %s and %s", st.ID, topic, prev, target)
		}
		a.Targets[topic] = target
		return nil
	}
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op.Kind != ir.KindSink {
			continue
		}
		topic := op.Sink.Topic
		if topic == "" {
			if !anyIO {
				return fmt.Errorf("broker: stage %s: sink %s writes a file; a transform writes topics", st.ID, op.ID)
			}
			topic = "file:" + op.Sink.File
		}
		if err := add(topic, op.ID); err != nil {
			return err
		}
	}
	for _, ch := range p.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if inStage[prod] && !inStage[ch.To] {
			if err := add(ch.Topic, ch.Stream); err != nil {
				return err
			}
			a.channels[ch.Topic] = true
		}
	}
	for s, t := range taps {
		if err := add(t, s); err != nil {
			return err
		}
	}
	if err := add(a.DeadLetterTopic, ""); err != nil {
		return err
	}
	for t := range a.Targets {
		a.OutputTopics = append(a.OutputTopics, t)
	}
	slices.Sort(a.OutputTopics)
	if len(a.OutputTopics) > MaxOutputTopics && !anyIO {
		return fmt.Errorf("broker: stage %s writes %d topics (%s, the dead-letter topic included); a transform writes at most %d",
			st.ID, len(a.OutputTopics), strings.Join(a.OutputTopics, ", "), MaxOutputTopics)
	}
	return nil
}

// stagePlan returns the part of p the module needs to run st: the stage,
// its operators, the producers of its channel inputs (their schemas only),
// the channels it reads and writes, and the variables and locals its
// expressions read, sensitive ones without their values (secrets says how
// they travel). Other operators and constants, tests, backends, the broker
// block (credentials) and explanations are left out: a module's
// configuration grows with its stage, not with the pipeline.
//
// The module's configuration must not change when nothing about the stage
// did, or apply would redeploy it: the stage is named by its identity
// (whatever its ID), and source positions are left out.
func stagePlan(p *ir.Plan, st *ir.Stage) (*ir.Plan, stageSecrets, error) {
	pl := p.Pipeline
	inStage := stateless.InStage(st)
	producers := map[string]bool{}
	var chans []*ir.Channel
	for _, ch := range p.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if inStage[ch.To] || inStage[prod] {
			chans = append(chans, ch)
		}
		if inStage[ch.To] {
			sp, _ := ir.StreamOperator(ch.Stream)
			producers[sp] = true
		}
	}
	vars, locals, secrets, err := stageConsts(pl, stageExprs(pl, inStage, chans))
	if err != nil {
		return nil, secrets, err
	}
	sub := &ir.Pipeline{
		Name:            pl.Name,
		Optimize:        pl.Optimize,
		DeadLetterTopic: pl.DeadLetterTopic,
		Vars:            vars,
		Locals:          locals,
	}
	for _, op := range pl.Operators {
		switch {
		case inStage[op.ID]:
			sub.Operators = append(sub.Operators, op)
		case producers[op.ID]:
			sub.Operators = append(sub.Operators, schemaOnly(op))
		}
	}
	stage := *st
	stage.ID = pl.StageIdentity(st)
	stage.Why, stage.Notes, stage.Cost, stage.SecretEnv = "", nil, 0, nil
	sp, err := ir.WithoutPositions(&ir.Plan{FormatVersion: p.FormatVersion, Pipeline: sub, Stages: []*ir.Stage{&stage}, Channels: chans})
	return sp, secrets, err
}

// schemaOnly is what a stage needs of an operator in another stage whose
// records it reads from a channel: their schema, and whether they are a
// table (and the source's max_future), none of its expressions.
func schemaOnly(op *ir.Operator) *ir.Operator {
	out := &ir.Operator{ID: op.ID, Kind: op.Kind, Name: op.Name, Schema: op.Schema}
	if op.Source != nil {
		out.Source = &ir.Source{Topic: op.Source.Topic, File: op.Source.File, Format: op.Source.Format, Table: op.Source.Table, MaxFutureMs: op.Source.MaxFutureMs,
			SchemaDoc: op.Source.SchemaDoc, WriterSchemas: op.Source.WriterSchemas, Coerce: op.Source.Coerce}
	}
	return out
}

// secretNames lists the sensitive constants a's stage reads, for errors.
func secretNames(a *Artifact) string {
	if len(a.secrets) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(a.secrets)), ", ")
}

// Patch returns a copy of module with config written into the reserved
// bytes after modconf.Marker, the rest of them left as spaces: the module
// keeps its size and structure, only its data changes.
func Patch(module, config []byte) ([]byte, error) {
	i := bytes.Index(module, []byte(modconf.Marker))
	if i < 0 {
		return nil, errors.New("module has no configuration marker")
	}
	if bytes.Contains(module[i+1:], []byte(modconf.Marker)) {
		return nil, errors.New("module has more than one configuration marker")
	}
	start := i + len(modconf.Marker)
	if len(module)-start < modconf.Size {
		return nil, errors.New("module's reserved configuration area is truncated")
	}
	area := module[start : start+modconf.Size]
	if len(bytes.Trim(area, " ")) != 0 {
		return nil, errors.New("module's reserved configuration area is not empty: patch the generic module")
	}
	if len(config) > modconf.Size {
		return nil, fmt.Errorf("configuration is %d bytes; the module reserves %d", len(config), modconf.Size)
	}
	out := slices.Clone(module)
	copy(out[start:], config)
	return out, nil
}

// TransformName derives a transform's name from the pipeline and stage:
// letters, digits, '.', '_' and '-' only, at most MaxNameLen bytes.
func TransformName(pipeline, stage string) string {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, pipeline+"-"+stage)
	if len(n) > MaxNameLen {
		sum := sha256.Sum256([]byte(n))
		n = n[:MaxNameLen-9] + "-" + hex.EncodeToString(sum[:4])
	}
	return n
}

// CheckEnv checks a transform environment against Redpanda's limits: at
// most 128 variables, names without '=' outside the reserved REDPANDA_
// prefix, no control characters, MaxEnvBytes in all.
func CheckEnv(env map[string]string) error {
	if len(env) > 128 {
		return fmt.Errorf("transform environment has %d variables; at most 128 are allowed", len(env))
	}
	total := 0
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=") || strings.HasPrefix(k, "REDPANDA_") {
			return fmt.Errorf("transform environment variable name %q is not allowed", k)
		}
		if strings.ContainsFunc(k+v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("transform environment variable %s contains a control character", k)
		}
		total += len(k) + len(v)
	}
	if total > MaxEnvBytes {
		return fmt.Errorf("transform environment is %d bytes; at most %d are allowed", total, MaxEnvBytes)
	}
	return nil
}

// ConfigJSON returns the configuration patched into module as JSON, for
// inspection (tests, debugging): what the module holds besides the code.
func ConfigJSON(module []byte) ([]byte, error) {
	i := bytes.Index(module, []byte(modconf.Marker))
	if i < 0 || len(module)-i-len(modconf.Marker) < modconf.Size {
		return nil, errors.New("module has no configuration area")
	}
	start := i + len(modconf.Marker)
	return modconf.JSON(module[start : start+modconf.Size])
}
