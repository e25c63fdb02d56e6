package ir

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// samplePlan is a small plan with every kind of value the encoding must
// carry: constants (one sensitive), schemas, expressions, route outputs,
// channels.
func samplePlan() *Plan {
	orders := cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number, "tags": cty.List(cty.String)})
	rng := Range{Filename: "main.hcl", Start: Pos{Line: 3, Column: 11, Byte: 40}, End: Pos{Line: 3, Column: 30, Byte: 59}}
	return &Plan{
		FormatVersion: FormatVersion,
		SpecHash:      "abc",
		Pipeline: &Pipeline{
			Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq",
			Vars: map[string]Const{
				"min":      {Value: cty.NumberIntVal(100)},
				"password": {Value: cty.StringVal("hunter2"), Sensitive: true},
			},
			Backends: []*Backend{{Name: BackendNative}},
			Operators: []*Operator{
				{ID: "source.orders", Kind: KindSource, Name: "orders", Schema: Schema{orders},
					Source: &Source{Topic: "orders", Format: "json"}, Stats: Stats{Rate: 5000}},
				{ID: "filter.big", Kind: KindFilter, Name: "big", Inputs: []string{"source.orders"}, Schema: Schema{orders},
					Filter: &Filter{Where: Expr{Source: "record.amount >= var.min", Range: rng}}},
				{ID: "route.r", Kind: KindRoute, Name: "r", Inputs: []string{"filter.big"}, Schema: Schema{orders},
					Route: &Route{Outputs: []RouteOutput{{Name: "a", When: &Expr{Source: "true"}}, {Name: "b", Default: true}}}},
				{ID: "sink.out", Kind: KindSink, Name: "out", Inputs: []string{"route.r.a"}, Schema: Schema{orders},
					Sink: &Sink{Topic: "out", Format: "json", Delivery: ExactlyOnce}},
			},
		},
		Stages: []*Stage{
			{ID: "broker.1", Backend: BackendBroker, Operators: []string{"source.orders", "filter.big"}, Inputs: []string{"orders"}, Outputs: []string{"orders.filter.big"}},
			{ID: "native.1", Backend: BackendNative, Operators: []string{"route.r", "sink.out"}, Inputs: []string{"orders.filter.big"}, Outputs: []string{"out"}},
		},
		Channels: []*Channel{{From: "filter.big", To: "route.r", Topic: "orders.filter.big", Stream: "filter.big"}},
	}
}

func TestPlanRoundTrip(t *testing.T) {
	p := samplePlan()
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b cty.Type) bool { return a.Equals(b) }),
		cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) }),
	}
	if d := cmp.Diff(p, got, opts); d != "" {
		t.Errorf("round trip changed the plan (-want +got):\n%s", d)
	}
	again, err := got.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("re-encoding is not byte-identical:\n%s\n---\n%s", b, again)
	}
}

func TestPlanEncodingIsDeterministic(t *testing.T) {
	first, err := samplePlan().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // map iteration order varies between runs
		b, err := samplePlan().Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, b) {
			t.Fatalf("encoding %d differs from the first", i)
		}
	}
}

func TestRedactedHidesSensitiveValues(t *testing.T) {
	p := samplePlan()
	p.Pipeline.Broker = &Broker{Name: "main", Brokers: []string{"k:9092"}, SASL: &SASL{Mechanism: "PLAIN", Username: "svc", Password: "s3cret"}}
	b, err := p.Redacted().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "s3cret"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("redacted plan contains %q", secret)
		}
	}
	// The original is untouched: apply needs the real values.
	if got := p.Pipeline.Vars["password"].Value.AsString(); got != "hunter2" {
		t.Errorf("Redacted modified the original: password = %q", got)
	}
	if got := p.Pipeline.Broker.SASL.Password; got != "s3cret" {
		t.Errorf("Redacted modified the original broker password: %q", got)
	}
}

func TestDecodePlanRejectsForeignInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":      "hello",
		"no version":    `{"pipeline":{}}`,
		"newer version": `{"format_version":"9.0","pipeline":{}}`,
		"no pipeline":   `{"format_version":"1.0"}`,
	} {
		if _, err := DecodePlan([]byte(in)); err == nil {
			t.Errorf("%s: DecodePlan accepted %s", name, in)
		}
	}
}

func TestStreamOperator(t *testing.T) {
	tests := []struct{ stream, op, out string }{
		{"source.orders", "source.orders", ""},
		{"route.by_tier.gold", "route.by_tier", "gold"},
		{"filter.x", "filter.x", ""},
	}
	for _, tt := range tests {
		op, out := StreamOperator(tt.stream)
		if op != tt.op || out != tt.out {
			t.Errorf("StreamOperator(%q) = %q, %q; want %q, %q", tt.stream, op, out, tt.op, tt.out)
		}
	}
}

func TestProperties(t *testing.T) {
	p := samplePlan().Pipeline
	got := map[string]Properties{}
	for _, op := range p.Operators {
		got[op.ID] = op.Properties()
	}
	want := map[string]Properties{
		"source.orders": {Stateless: true, SingleRecord: true, Outputs: 1},
		"filter.big":    {Stateless: true, SingleRecord: true, Inputs: 1, Outputs: 1},
		"route.r":       {Stateless: true, SingleRecord: true, Inputs: 1, Outputs: 2},
		"sink.out":      {Stateless: true, SingleRecord: true, Inputs: 1, Delivery: ExactlyOnce},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("properties (-want +got):\n%s", d)
	}
	agg := &Operator{Kind: KindAggregate, Inputs: []string{"x"}, Aggregate: &Aggregate{}}
	if pr := agg.Properties(); pr.Stateless || !pr.Keyed || !pr.Windowed {
		t.Errorf("aggregate properties = %+v", pr)
	}
}

func TestConstJSON(t *testing.T) {
	c := Const{Value: cty.ObjectVal(map[string]cty.Value{"a": cty.ListVal([]cty.Value{cty.NumberIntVal(1)})})}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Const
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Value.RawEquals(c.Value) {
		t.Errorf("const round trip: got %#v want %#v", back.Value, c.Value)
	}
}

func TestSchemaRegistrySecretsAreRedactedAndSealed(t *testing.T) {
	tests := []struct {
		name string
		reg  SchemaRegistry
	}{
		{"password", SchemaRegistry{Name: "main", URL: "http://sr:8081", Username: "svc", Password: "pw-s3cret"}},
		{"token", SchemaRegistry{Name: "main", URL: "http://sr:8081", Token: "tok-s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePlan()
			reg := tt.reg
			p.Pipeline.SchemaRegistries = []*SchemaRegistry{&reg}
			secret := reg.Password + reg.Token
			red, err := p.Redacted().Encode()
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := p.Sealed(NewSalt())
			if err != nil {
				t.Fatal(err)
			}
			saved, err := sealed.Encode()
			if err != nil {
				t.Fatal(err)
			}
			for what, b := range map[string][]byte{"redacted": red, "sealed": saved} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("%s plan contains the registry's %s", what, tt.name)
				}
			}
			if got := p.Pipeline.SchemaRegistries[0].Password + p.Pipeline.SchemaRegistries[0].Token; got != secret {
				t.Errorf("redaction modified the original: %q", got)
			}
			found := false
			for _, s := range sealed.Secrets {
				found = found || (s.Kind == "schema_registry" && s.Name == "main."+tt.name)
			}
			if !found {
				t.Errorf("sealed secrets %v do not list schema_registry main.%s", sealed.Secrets, tt.name)
			}
			sealed.Unseal(p)
			if got := sealed.Pipeline.SchemaRegistries[0].Password + sealed.Pipeline.SchemaRegistries[0].Token; got != secret {
				t.Errorf("unsealed value = %q, want the original", got)
			}
		})
	}
}
