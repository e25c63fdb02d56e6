package testrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// Result is the outcome of one test block.
type Result struct {
	Test   string
	Passed bool
	// Skipped is why the runner could not run the test (its backend cannot
	// host an operator the test covers); empty when it ran.
	Skipped  string
	Failures []Failure
	// DeadLetters are the records the pipeline rejected (decode and
	// evaluation errors, late records), in the order they occurred.
	DeadLetters []native.DeadLetter
	// Got holds the normalized records that reached each expected target.
	Got map[string][]string
}

// Failure is one expected target whose records differ.
type Failure struct {
	Target string
	// Diff is a go-cmp diff of the sorted normalized records, "-want +got".
	Diff string
}

// Option configures a run.
type Option func(*config)

type config struct {
	engine []native.Option
	runner Runner
}

// WithEngineOptions passes options to the native engine (WithStateDir, …).
func WithEngineOptions(opts ...native.Option) Option {
	return func(c *config) { c.engine = append(c.engine, opts...) }
}

// WithRunner runs the tests on another backend's runner instead of the
// native engine. The comparison is the same for every runner.
func WithRunner(r Runner) Option { return func(c *config) { c.runner = r } }

// A Runner feeds one test block's given records through a pipeline on one
// backend and reports what reached each target. Tests compare its Outputs
// with the expected records, so every backend is held to the same result.
type Runner interface {
	// Run feeds t.Given through p: table sources first, then every stream
	// in its given order (record i has offset i on partition 0), and drains
	// at the end of input (every open window fires). Outputs are keyed by
	// sink operator ID and by every stream named in taps.
	//
	// A runner that cannot host the operators the test covers returns a
	// *SkipError saying why.
	Run(ctx context.Context, p *ir.Pipeline, t *ir.Test, taps []string) (Outputs, error)
}

// Outputs are the records a run produced.
type Outputs struct {
	// Got holds the encoded records per sink operator ID or tapped stream.
	Got map[string][][]byte
	// DeadLetters are the records the pipeline rejected, in the order they
	// occurred.
	DeadLetters []native.DeadLetter
	// Keys and Kinds are, beside Got, each record's Kafka key and row kind
	// (eval.RowKind), which a changelog's expectation applies (see
	// changelog.go). A runner that hosts no changelog may leave them nil.
	Keys  map[string][][]byte
	Kinds map[string][]uint8
}

// SkipError reports a test a runner cannot run: its backend cannot host
// an operator the test covers.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Run runs one test block of p. A test the runner cannot host is not an
// error: its Result has Skipped set.
func Run(p *ir.Pipeline, t *ir.Test, opts ...Option) (Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	res := Result{Test: t.Name, Got: map[string][]string{}}

	// Expected targets that are not sinks are observed through taps.
	var taps []string
	for _, ex := range t.Expect {
		if op := p.Operator(ex.Target); op != nil && op.Kind == ir.KindSink {
			continue
		}
		if !streamExists(p, ex.Target) {
			return res, fmt.Errorf("test %q: expect %q: no such stream", t.Name, ex.Target)
		}
		taps = append(taps, ex.Target)
	}
	for _, g := range t.Given {
		if op := p.Operator(g.Target); op == nil || op.Kind != ir.KindSource {
			return res, fmt.Errorf("test %q: given %q: not a source", t.Name, g.Target)
		}
	}
	runner := cfg.runner
	if runner == nil {
		runner = nativeRunner{engine: cfg.engine}
	}
	encoded, err := encodeGiven(p, t)
	if err != nil {
		return res, fmt.Errorf("test %q: %w", t.Name, err)
	}
	out, err := runner.Run(context.Background(), p, encoded, taps)
	if err == nil {
		err = decodeOutputs(p, out.Got)
	}
	if skip := (*SkipError)(nil); errors.As(err, &skip) {
		res.Skipped = skip.Reason
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("test %q: %w", t.Name, err)
	}
	res.DeadLetters = out.DeadLetters

	if err := applyChangelogs(p, t, &out); err != nil {
		return res, fmt.Errorf("test %q: %w", t.Name, err)
	}
	res.Passed = true
	for _, ex := range t.Expect {
		want, err := normalizeAll(ex.Records)
		if err != nil {
			return res, fmt.Errorf("test %q: expect %q: %w", t.Name, ex.Target, err)
		}
		got, err := normalizeAll(out.Got[ex.Target])
		if err != nil {
			return res, fmt.Errorf("test %q: output of %q: %w", t.Name, ex.Target, err)
		}
		res.Got[ex.Target] = got
		if d := cmp.Diff(want, got); d != "" {
			res.Passed = false
			res.Failures = append(res.Failures, Failure{Target: ex.Target, Diff: d})
		}
	}
	return res, nil
}

// RunAll runs every test block of p whose name matches filter (all when
// filter is nil), in spec order.
func RunAll(p *ir.Pipeline, filter *regexp.Regexp, opts ...Option) ([]Result, error) {
	var out []Result
	for _, t := range p.Tests {
		if filter != nil && !filter.MatchString(t.Name) {
			continue
		}
		r, err := Run(p, t, opts...)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func streamExists(p *ir.Pipeline, stream string) bool {
	for _, op := range p.Operators {
		for _, s := range op.Streams() {
			if s == stream {
				return true
			}
		}
	}
	return false
}

// nativeRunner runs a test through one runtime/native engine holding every
// operator of the pipeline.
type nativeRunner struct{ engine []native.Option }

const stageID = "test"

func (r nativeRunner) Run(ctx context.Context, p *ir.Pipeline, t *ir.Test, taps []string) (Outputs, error) {
	stage := &ir.Stage{ID: stageID, Backend: ir.BackendNative}
	for _, op := range p.Operators {
		stage.Operators = append(stage.Operators, op.ID)
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{stage}}
	// Tests are deterministic: processing-time windows run on a clock
	// that reads each record's event time (README, "Processing-time windows").
	eng, err := native.New(plan, stageID, append(r.engine, native.WithTaps(taps...), native.WithEventTimeClock())...)
	if err != nil {
		return Outputs{}, err
	}
	defer eng.Close()

	// Table sources first: a table is the state a stream is joined against,
	// and a test's given blocks describe that state, not an arrival order.
	// Then the streams, each in its given order, on one partition each; all
	// stream partitions are declared up front so the watermark waits for
	// every given stream.
	tables, streams := SplitGiven(p, t)
	for _, g := range streams {
		eng.AddPartitions(g.Target, 0)
	}
	c := &collector{got: map[string][][]byte{}, keys: map[string][][]byte{}, kinds: map[string][]uint8{}}
	for _, g := range append(tables, streams...) {
		for i, rec := range g.Records {
			in := native.Input{Stream: g.Target, Offset: int64(i), Value: rec}
			if err := eng.Process(ctx, in, c); err != nil {
				return Outputs{}, fmt.Errorf("%s record %d: %w", g.Target, i, err)
			}
		}
	}
	if err := eng.Drain(ctx, c); err != nil {
		return Outputs{}, fmt.Errorf("drain: %w", err)
	}
	return Outputs{Got: c.got, DeadLetters: c.dead, Keys: c.keys, Kinds: c.kinds}, nil
}

// SplitGiven splits a test's given blocks into table sources and streams,
// each in spec order: runners feed the tables first.
func SplitGiven(p *ir.Pipeline, t *ir.Test) (tables, streams []ir.TestData) {
	for _, g := range t.Given {
		if op := p.Operator(g.Target); op != nil && op.Source != nil && op.Source.Table {
			tables = append(tables, g)
		} else {
			streams = append(streams, g)
		}
	}
	return tables, streams
}

// collector gathers a run's outputs by target.
type collector struct {
	got   map[string][][]byte
	keys  map[string][][]byte
	kinds map[string][]uint8
	dead  []native.DeadLetter
}

// Emit and DeadLetter copy what they keep: the engine reuses the bytes
// after the call (see package record).
func (c *collector) Emit(o native.Output) error {
	c.got[o.Target] = append(c.got[o.Target], bytes.Clone(o.Value))
	c.keys[o.Target] = append(c.keys[o.Target], bytes.Clone(o.Key))
	c.kinds[o.Target] = append(c.kinds[o.Target], o.Kind)
	return nil
}

func (c *collector) DeadLetter(d native.DeadLetter) error {
	d.Input.Key, d.Input.Value = bytes.Clone(d.Input.Key), bytes.Clone(d.Input.Value)
	c.dead = append(c.dead, d)
	return nil
}

// canonicalNumbers rewrites the json.Numbers in v canonically.
func canonicalNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		return canonicalNumber(string(v))
	case []any:
		for i, e := range v {
			v[i] = canonicalNumbers(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = canonicalNumbers(e)
		}
	}
	return v
}

// canonicalNumber is one number's canonical form, following how the
// pipeline holds numbers (README, "Numbers"): an integer within int64 as
// its exact digits, however it is written (150, 150.0, 1.5e2), any other
// number as the float64 nearest to it.
func canonicalNumber(s string) json.Number {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return json.Number(s) // beyond float64: as written
	}
	if f == math.Trunc(f) && math.Abs(f) <= 0x1p63 {
		if r, ok := new(big.Rat).SetString(s); ok && r.IsInt() && r.Num().IsInt64() {
			return json.Number(r.Num().String()) // -0 becomes 0
		}
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// normalizeAll normalizes JSON records and sorts them, so that two
// multisets compare equal exactly when their sorted forms are equal.
func normalizeAll[T ~[]byte](recs []T) ([]string, error) {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		s, err := Normalize([]byte(r))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

// Normalize returns the canonical JSON form of a record: decoded into Go
// values and encoded again with sorted object keys, so 150 and 150.0, or
// differently ordered keys, compare equal. A number whose value is an
// integer is written with all its digits (1234567890123456789 and
// 1234567890123456788 differ, as a float64 would not tell), any other as
// the float64 nearest to it.
func Normalize(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("normalize %s: %w", b, err)
	}
	if dec.More() {
		return "", fmt.Errorf("normalize %s: data after the record", b)
	}
	v = canonicalNumbers(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("normalize %s: %w", b, err)
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
