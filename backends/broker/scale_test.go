package broker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// chainPlan is a chain of n maps, map i reading variable v<i> of n, each
// map in a broker stage of its own, the source and sink on native, and a
// channel on every edge.
func chainPlan(t *testing.T, n int) *ir.Plan {
	t.Helper()
	var b strings.Builder
	b.WriteString("pipeline \"p\" {}\nbackend \"broker\" {}\nsource \"s\" {\n  topic = \"in\"\n  format = \"json\"\n  schema = object({ a = number })\n}\n")
	prev := "source.s"
	for i := range n {
		fmt.Fprintf(&b, "variable \"v%d\" {\n  type = number\n  default = %d\n}\n", i, i)
		fmt.Fprintf(&b, "map \"m%d\" {\n  input = %s\n  fields = { a = record.a + var.v%d }\n}\n", i, prev, i)
		prev = fmt.Sprintf("map.m%d", i)
	}
	fmt.Fprintf(&b, "sink \"o\" {\n  input = %s\n  topic = \"out\"\n}\n", prev)
	res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(b.String())}, lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: res.Pipeline}
	for _, op := range res.Pipeline.Operators {
		backend := ir.BackendBroker
		if op.Map == nil {
			backend = ir.BackendNative
		}
		p.Stages = append(p.Stages, &ir.Stage{ID: "st." + op.ID, Backend: backend, Operators: []string{op.ID}})
		for _, in := range op.Inputs {
			p.Channels = append(p.Channels, &ir.Channel{From: in, To: op.ID, Topic: "p." + in, Stream: in})
		}
	}
	return p
}

// TestStageConfigDoesNotGrowWithThePipeline: a broker stage's module
// configuration holds its own operators and the constants they read, so
// the same stage in a chain of 100 and of 1,000 stages has the same
// configuration, a few hundred bytes (it held every variable: issue 17,
// item 12).
func TestStageConfigDoesNotGrowWithThePipeline(t *testing.T) {
	sizes := map[int]int{}
	for _, n := range []int{100, 1000} {
		p := chainPlan(t, n)
		a, err := Compile(p, "st.map.m50")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ConfigJSON(a.Module())
		if err != nil {
			t.Fatal(err)
		}
		sizes[n] = len(cfg)
		if strings.Contains(string(cfg), `"v51"`) || !strings.Contains(string(cfg), `"v50"`) {
			t.Errorf("n=%d: the configuration should hold var.v50 and no other variable:\n%s", n, cfg)
		}
	}
	if sizes[1000] != sizes[100] || sizes[100] > 4096 {
		t.Errorf("configuration of one stage: %d bytes in a chain of 100, %d in a chain of 1,000; want the same, under 4 KiB", sizes[100], sizes[1000])
	}
}
