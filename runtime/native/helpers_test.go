package native

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// Builders for hand-made pipelines: the test kit's.
var (
	x      = testkit.X
	xp     = testkit.XP
	obj    = testkit.Obj
	source = testkit.Source
	sink   = testkit.Sink
	fields = testkit.Fields
	planOf = testkit.PlanOf
)

// event is the schema used by most tests.
var event = obj(map[string]cty.Type{"id": cty.String, "k": cty.String, "n": cty.Number, "ts": cty.Number})

// rec builds an input for stream from a JSON object literal.
func in(stream string, part int32, js string) Input {
	return Input{Stream: stream, Partition: part, Value: []byte(js)}
}

// collect is an Emitter that records outputs (normalized JSON, by target)
// and dead letters ("operator reason").
type collect struct {
	out  map[string][]string
	keys map[string][]string
	dead []string
}

func newCollect() *collect { return &collect{out: map[string][]string{}, keys: map[string][]string{}} }

func (c *collect) Emit(o Output) error {
	var v any
	if err := json.Unmarshal(o.Value, &v); err != nil {
		return fmt.Errorf("output %s is not JSON: %s", o.Target, o.Value)
	}
	b, _ := json.Marshal(v)
	c.out[o.Target] = append(c.out[o.Target], string(b))
	c.keys[o.Target] = append(c.keys[o.Target], string(o.Key))
	return nil
}

func (c *collect) DeadLetter(d DeadLetter) error {
	c.dead = append(c.dead, d.Operator+" "+d.Reason)
	return nil
}

// sorted returns the outputs of every target sorted, as multisets.
func (c *collect) sorted() map[string][]string {
	m := map[string][]string{}
	for k, v := range c.out {
		s := append([]string(nil), v...)
		sort.Strings(s)
		m[k] = s
	}
	return m
}

// run feeds inputs through a fresh engine for plan's only stage, then
// drains it when drain is set.
func run(t *testing.T, plan *ir.Plan, inputs []Input, drain bool, opts ...Option) *collect {
	t.Helper()
	e, err := New(plan, "s", opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer e.Close()
	c := newCollect()
	ctx := context.Background()
	for _, i := range inputs {
		if err := e.Process(ctx, i, c); err != nil {
			t.Fatalf("Process(%s): %v", i.Value, err)
		}
	}
	if drain {
		if err := e.Drain(ctx, c); err != nil {
			t.Fatalf("Drain: %v", err)
		}
	}
	return c
}

// js builds a normalized JSON object from alternating keys and values.
func js(kv ...any) string {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// ev is an input record of the event schema.
func ev(stream string, id, k string, n, ts float64) Input {
	return in(stream, 0, js("id", id, "k", k, "n", n, "ts", ts))
}

func lines(ss ...string) string { return strings.Join(ss, "\n") }
