package broker

import (
	"fmt"
	"maps"
	"slices"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// stageExprs returns every expression stage st evaluates: its operators'
// and the keys of the channels chans it writes.
func stageExprs(pl *ir.Pipeline, inStage map[string]bool, chans []*ir.Channel) []ir.Expr {
	var out []ir.Expr
	add := func(es ...*ir.Expr) {
		for _, e := range es {
			if !e.IsZero() {
				out = append(out, *e)
			}
		}
	}
	fields := func(fs []ir.Field) {
		for i := range fs {
			add(&fs[i].Expr)
		}
	}
	for _, op := range pl.Operators {
		if !inStage[op.ID] {
			continue
		}
		switch {
		case op.Source != nil:
			add(op.Source.Key, op.Source.EventTime)
		case op.Filter != nil:
			add(&op.Filter.Where)
		case op.Map != nil:
			fields(op.Map.Fields)
		case op.Route != nil:
			for _, o := range op.Route.Outputs {
				add(o.When)
			}
		case op.Join != nil:
			add(&op.Join.On)
			fields(op.Join.Fields)
			for i := range op.Join.LeftKeys {
				add(&op.Join.LeftKeys[i])
			}
			for i := range op.Join.RightKeys {
				add(&op.Join.RightKeys[i])
			}
		case op.Dedupe != nil:
			add(&op.Dedupe.Key)
		case op.Aggregate != nil:
			fields(op.Aggregate.Key)
			for _, f := range op.Aggregate.Fields {
				add(f.Arg)
				add(f.Where)
			}
		case op.Sink != nil:
			add(op.Sink.Key)
		}
	}
	for _, ch := range chans {
		if prod, _ := ir.StreamOperator(ch.From); inStage[prod] && !inStage[ch.To] {
			for i := range ch.Key {
				add(&ch.Key[i])
			}
		}
	}
	return out
}

// stageSecrets is how a stage's sensitive constants reach its module:
// refs maps "var.NAME"/"local.NAME" to an environment variable, env holds
// those variables' values (the transform's environment at deploy time).
type stageSecrets struct {
	refs map[string]string
	env  map[string]string
}

// stageConsts returns the variables and locals that exprs read (a
// reference to var or local as a whole, or one that does not parse, takes
// every one of that scope), each sensitive one replaced by a null of its
// type, its value moved to the environment (secrets). A module therefore
// holds only the constants its stage reads, and never a sensitive one.
func stageConsts(pl *ir.Pipeline, exprs []ir.Expr) (vars, locals map[string]ir.Const, secrets stageSecrets, err error) {
	secrets = stageSecrets{refs: map[string]string{}, env: map[string]string{}}
	pick := func(scope string, all map[string]ir.Const) (map[string]ir.Const, error) {
		if len(all) == 0 {
			return nil, nil
		}
		used := map[string]ir.Const{}
		for _, e := range exprs {
			names, whole := eval.ReadAttributes(e, scope)
			if whole {
				names = slices.Collect(maps.Keys(all))
			}
			for _, n := range names {
				if c, ok := all[n]; ok {
					used[n] = c
				}
			}
		}
		for n, c := range used {
			if !c.Sensitive {
				continue
			}
			ref := scope + "." + n
			name := modconf.SecretEnvName(ref)
			v, err := modconf.EncodeSecret(c.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ref, err)
			}
			secrets.refs[ref], secrets.env[name] = name, v
			used[n] = ir.Const{Value: cty.NullVal(c.Value.Type()), Sensitive: true}
		}
		if len(used) == 0 {
			return nil, nil
		}
		return used, nil
	}
	if vars, err = pick("var", pl.Vars); err != nil {
		return nil, nil, secrets, err
	}
	if locals, err = pick("local", pl.Locals); err != nil {
		return nil, nil, secrets, err
	}
	return vars, locals, secrets, nil
}

// SecretEnv lists, sorted, the sensitive constants the artifact's stage
// reads and the environment variables that carry them.
func (a *Artifact) SecretEnv() []ir.SecretEnv {
	var out []ir.SecretEnv
	for _, ref := range slices.Sorted(maps.Keys(a.secrets)) {
		out = append(out, ir.SecretEnv{Value: ref, Env: a.secrets[ref]})
	}
	return out
}
