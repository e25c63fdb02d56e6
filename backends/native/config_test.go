package native

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestDecodeConfig covers backend "native" { instances }: a whole number
// from 1 to MaxInstances becomes worker parallelism, anything else is an
// error on the block, and an unknown setting is named with a suggestion.
func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]cty.Value // nil: no backend "native" block
		want  Config
		diags []string // each diagnostic's summary and detail
	}{
		{name: "no block"},
		{name: "empty block", attrs: map[string]cty.Value{}},
		{name: "two instances", attrs: map[string]cty.Value{"instances": cty.NumberIntVal(2)}, want: Config{Instances: 2}},
		{name: "the maximum", attrs: map[string]cty.Value{"instances": cty.NumberIntVal(MaxInstances)}, want: Config{Instances: MaxInstances}},
		{name: "zero", attrs: map[string]cty.Value{"instances": cty.NumberIntVal(0)},
			diags: []string{"Invalid native backend setting: instances: want a whole number from 1 to 1024, got 0."}},
		{name: "a fraction", attrs: map[string]cty.Value{"instances": cty.NumberFloatVal(1.5)},
			diags: []string{"Invalid native backend setting: instances: want a whole number from 1 to 1024, got 1.5."}},
		{name: "too many", attrs: map[string]cty.Value{"instances": cty.NumberIntVal(MaxInstances + 1)},
			diags: []string{"Invalid native backend setting: instances: want a whole number from 1 to 1024, got 1025."}},
		{name: "a string", attrs: map[string]cty.Value{"instances": cty.StringVal("2")},
			diags: []string{"Invalid native backend setting: instances: want a whole number from 1 to 1024, got string."}},
		{name: "a misspelt setting", attrs: map[string]cty.Value{"instance": cty.NumberIntVal(2)},
			diags: []string{`Unsupported native backend setting: backend "native" has no setting "instance". Did you mean "instances"? Settings are instances, state_budget.`}},
		{name: "state_budget is the optimizer's", attrs: map[string]cty.Value{"state_budget": cty.StringVal("8GiB")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &ir.Pipeline{Name: "t"}
			if tt.attrs != nil {
				b := &ir.Backend{Name: ir.BackendNative, Attributes: map[string]ir.Const{}}
				for k, v := range tt.attrs {
					b.Attributes[k] = ir.Const{Value: v}
				}
				p.Backends = append(p.Backends, b)
			}
			got, diags := DecodeConfig(p)
			var gotDiags []string
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic %q has no position", d.Summary)
				}
				gotDiags = append(gotDiags, d.Summary+": "+d.Detail)
			}
			if d := cmp.Diff(tt.diags, gotDiags); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("config (-want +got):\n%s", d)
			}
		})
	}
}
