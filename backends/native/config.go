package native

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
)

// MaxInstances bounds backend "native" { instances }: more concurrent
// engines than this in one process only adds scheduling overhead.
const MaxInstances = 1024

// Config is the decoded backend "native" block.
type Config struct {
	// Instances is how many partition groups' engines a worker process
	// runs at once, per stage (runtime/worker.Parallelism). 0 (unset)
	// runs every partition group it is assigned concurrently.
	Instances int
}

// settings are the attributes backend "native" accepts. state_budget is
// read by the optimizer (its cost model), which checks it.
var settings = map[string]string{
	"instances":    "how many partition groups a worker process runs at once, a whole number from 1 to 1024",
	"state_budget": `the keyed state one operator may hold, a size such as "8GiB"`,
}

// DecodeConfig decodes and checks the backend "native" block of p; a spec
// without one gets the zero Config. Diagnostics point at the block.
func DecodeConfig(p *ir.Pipeline) (Config, hcl.Diagnostics) {
	var cfg Config
	if p == nil {
		return cfg, nil
	}
	be := p.Backend(ir.BackendNative)
	if be == nil {
		return cfg, nil
	}
	rng := be.Range.HCL()
	var diags hcl.Diagnostics
	bad := func(summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng})
	}
	names := make([]string, 0, len(be.Attributes))
	for n := range be.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := settings[n]; !ok {
			known := make([]string, 0, len(settings))
			for k := range settings {
				known = append(known, k)
			}
			sort.Strings(known)
			bad("Unsupported native backend setting", "backend \"native\" has no setting %q.%s Settings are %s.", n, suggest.Hint(n, known), strings.Join(known, ", "))
		}
	}
	if c, ok := be.Attributes["instances"]; ok {
		v := c.Value
		switch {
		case v.IsNull() || !v.IsKnown() || v.Type() != cty.Number:
			bad("Invalid native backend setting", "instances: want a whole number from 1 to %d, got %s.", MaxInstances, v.Type().FriendlyName())
		default:
			bf := v.AsBigFloat()
			n, _ := bf.Int64()
			if !bf.IsInt() || bf.Sign() <= 0 || n > MaxInstances {
				bad("Invalid native backend setting", "instances: want a whole number from 1 to %d, got %s.", MaxInstances, bf.Text('g', -1))
			} else {
				cfg.Instances = int(n)
			}
		}
	}
	return cfg, diags
}

// Validate checks the backend "native" block of p.
func Validate(p *ir.Pipeline) hcl.Diagnostics {
	_, diags := DecodeConfig(p)
	return diags
}
