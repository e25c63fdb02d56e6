package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/pipeline-compiler/pipeline/internal/fsread"
)

// envVarPrefix names environment variables that set spec variables, like
// Terraform's TF_VAR_.
const envVarPrefix = "PIPELINE_VAR_"

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true},
	{Name: "error_message", Required: true},
}}

type varDecl struct {
	name        string
	block       *hcl.Block
	typ         cty.Type
	sensitive   bool
	value       cty.Value // cty.NilVal until set
	validations []*hcl.BodyContent
}

// decodeVariables declares the variables and resolves their values with
// Terraform's precedence: default < PIPELINE_VAR_NAME < -var-file (in
// order) < -var (in order).
func (l *loader) decodeVariables(blocks hcl.Blocks) {
	decls := map[string]*varDecl{}
	var order []*varDecl
	for _, b := range blocks {
		name := b.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.errorf(b.LabelRanges[0], "Invalid variable name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
			continue
		}
		if prev := decls[name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate variable", "Variable %q is already declared at %s.", name, prev.block.DefRange)
			continue
		}
		d := &varDecl{name: name, block: b, typ: cty.DynamicPseudoType}
		decls[name] = d
		order = append(order, d)
		content, diags := b.Body.Content(variableSchema)
		l.add(diags)
		if a := content.Attributes["type"]; a != nil {
			t, diags := typeexpr.TypeConstraint(a.Expr)
			l.add(diags)
			if !diags.HasErrors() {
				d.typ = t
			}
		}
		if a := content.Attributes["sensitive"]; a != nil {
			d.sensitive, _ = l.constBool(a)
		}
		if a := content.Attributes["description"]; a != nil {
			l.constString(a)
		}
		if a := content.Attributes["default"]; a != nil {
			for _, t := range a.Expr.Variables() {
				l.errorf(t.SourceRange(), "Reference in a variable default", "A variable's default is a constant; it cannot refer to %s.", t.RootName())
			}
			if len(a.Expr.Variables()) == 0 {
				ctx := l.constCtx()
				ctx.Variables = nil
				v, diags := a.Expr.Value(ctx)
				l.add(l.scrubIf(d.sensitive, diags))
				if !diags.HasErrors() {
					d.value = l.convertVar(d, v, a.Expr.Range())
				}
				if d.value == cty.NilVal {
					d.value = cty.UnknownVal(d.typ) // reported; not also "no value"
				}
			}
		}
		for _, vb := range content.Blocks {
			vc, diags := vb.Body.Content(validationSchema)
			l.add(diags)
			if !diags.HasErrors() {
				d.validations = append(d.validations, vc)
			}
		}
	}

	// PIPELINE_VAR_NAME, then var files, then -var flags.
	for _, d := range order {
		if raw, ok := l.env[envVarPrefix+d.name]; ok {
			rng := hcl.Range{Filename: "<environment variable " + envVarPrefix + d.name + ">"}
			if v, ok := l.parseRawVar(d, raw, rng); ok {
				d.value = v
			}
		}
	}
	for _, path := range l.opts.VarFiles {
		l.loadVarFile(path, decls)
	}
	for _, flag := range l.opts.Vars {
		name, raw, ok := strings.Cut(flag, "=")
		if !ok || name == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail:   fmt.Sprintf("The option %q is not of the form NAME=VALUE.", flag),
			})
			continue
		}
		d := decls[name]
		if d == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail:   fmt.Sprintf("A -var option sets %q, but the spec declares no such variable.%s", name, didYouMean(name, sortedKeys(decls))),
			})
			continue
		}
		rng := hcl.Range{Filename: "<value for var." + name + ">"}
		if v, ok := l.parseRawVar(d, raw, rng); ok {
			d.value = v
		}
	}

	for _, d := range order {
		if d.value == cty.NilVal {
			l.errorf(d.block.DefRange, "No value for required variable",
				"Variable %q has no default, so it must be set with -var, -var-file or %s%s.", d.name, envVarPrefix, d.name)
			d.value = cty.UnknownVal(d.typ)
		}
		if d.sensitive {
			l.noteSensitive(d.value)
			d.value = d.value.Mark(sensitive)
		}
		l.vars[d.name] = d.value
		l.varOrder = append(l.varOrder, d.name)
	}
	for _, d := range order {
		l.validateVar(d)
	}
}

// convertVar converts a value to the variable's declared type.
func (l *loader) convertVar(d *varDecl, v cty.Value, rng hcl.Range) cty.Value {
	if d.sensitive {
		l.noteSensitive(v)
	}
	if v.IsNull() {
		l.errorf(rng, "Invalid value for variable", "Variable %q must not be null.", d.name)
		return cty.NilVal
	}
	cv, err := convert.Convert(v, d.typ)
	if err != nil {
		l.errorf(rng, "Invalid value for variable", "Variable %q: %s.", d.name, errText(err))
		return cty.NilVal
	}
	return cv
}

// parseRawVar parses a -var or PIPELINE_VAR_ value: verbatim for string
// variables (and untyped ones), HCL expression syntax otherwise.
func (l *loader) parseRawVar(d *varDecl, raw string, rng hcl.Range) (cty.Value, bool) {
	if d.typ == cty.String || d.typ == cty.DynamicPseudoType {
		v := l.convertVar(d, cty.StringVal(raw), rng)
		return v, v != cty.NilVal
	}
	if d := checkNesting([]byte(raw), rng.Filename); d != nil {
		d.Subject = &rng
		l.add(hcl.Diagnostics{d})
		return cty.NilVal, false
	}
	e, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
	if diags.HasErrors() {
		l.add(l.scrubIf(d.sensitive, diags))
		return cty.NilVal, false
	}
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		l.add(l.scrubIf(d.sensitive, diags))
		return cty.NilVal, false
	}
	cv := l.convertVar(d, v, rng)
	return cv, cv != cty.NilVal
}

func (l *loader) loadVarFile(path string, decls map[string]*varDecl) {
	b, err := fsread.ReadFile(path, 0)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variable file",
			Detail:   err.Error(),
		})
		return
	}
	l.src[path] = b
	if d := checkNesting(b, path); d != nil {
		l.files[path] = &hcl.File{Bytes: b}
		l.add(hcl.Diagnostics{d})
		return
	}
	f, diags := hclsyntax.ParseConfig(b, path, hcl.InitialPos)
	l.add(diags)
	if f == nil {
		return
	}
	l.files[path] = f
	attrs, diags := f.Body.JustAttributes()
	l.add(diags)
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		d := decls[name]
		if d == nil {
			l.warnf(a.NameRange, "Value for undeclared variable",
				"The file sets %q, but the spec declares no such variable.%s", name, didYouMean(name, sortedKeys(decls)))
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			l.add(l.scrubIf(d.sensitive, diags))
			continue
		}
		if cv := l.convertVar(d, v, a.Expr.Range()); cv != cty.NilVal {
			d.value = cv
		}
	}
}

// scrubIf drops the detail of diagnostics about a sensitive value: HCL
// parse and evaluation messages can quote the offending text.
func (l *loader) scrubIf(sens bool, diags hcl.Diagnostics) hcl.Diagnostics {
	if !sens {
		return diags
	}
	for _, d := range diags {
		if strings.HasPrefix(d.Detail, `Call to function "env" failed: environment variable`) {
			continue // names an unset variable: there is no value to hide
		}
		d.Detail = "The value is sensitive, so the details of this problem are not shown."
		d.Expression, d.EvalContext = nil, nil
	}
	return diags
}

// validateVar runs a variable's validation blocks with every variable in
// scope.
func (l *loader) validateVar(d *varDecl) {
	if !d.value.IsWhollyKnown() {
		return
	}
	var exprs []hcl.Expression
	for _, vc := range d.validations {
		exprs = append(exprs, vc.Attributes["condition"].Expr, vc.Attributes["error_message"].Expr)
	}
	ctx := l.constCtx(exprs...)
	for _, vc := range d.validations {
		cond := vc.Attributes["condition"]
		v, diags := cond.Expr.Value(ctx)
		l.addEval(cond.Expr, diags)
		if diags.HasErrors() {
			continue
		}
		v, _ = v.UnmarkDeep()
		v, err := convert.Convert(v, cty.Bool)
		if err != nil || v.IsNull() || !v.IsKnown() {
			l.errorf(cond.Expr.Range(), "Invalid validation condition", "The condition of a variable validation must be a known bool.")
			continue
		}
		if v.True() {
			continue
		}
		msg := "Invalid value for this variable."
		em := vc.Attributes["error_message"]
		mv, diags := em.Expr.Value(ctx)
		l.addEval(em.Expr, diags)
		if !diags.HasErrors() {
			if mv.IsMarked() || mv.ContainsMarked() {
				msg = "(The error message refers to a sensitive value, so it is not shown.)"
			} else if sv, err := convert.Convert(mv, cty.String); err == nil && sv.IsKnown() && !sv.IsNull() {
				msg = sv.AsString()
			}
		}
		l.errorf(cond.Expr.Range(), "Invalid value for variable", "var.%s: %s", d.name, msg)
	}
}

// decodeLocals evaluates locals in dependency order.
func (l *loader) decodeLocals(blocks hcl.Blocks) {
	attrs := map[string]*hcl.Attribute{}
	for _, b := range blocks {
		as, diags := b.Body.JustAttributes()
		l.add(diags)
		for _, name := range sortedAttrs(as) {
			a := as[name]
			if prev := attrs[name]; prev != nil {
				l.errorf(a.NameRange, "Duplicate local value", "local.%s is already defined at %s.", name, prev.NameRange)
				continue
			}
			attrs[name] = a
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var stack []string
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case done:
			_, ok := l.locals[name]
			return ok
		case visiting:
			i := indexOf(stack, name)
			cycle := append(append([]string{}, stack[i:]...), name)
			for j := range cycle {
				cycle[j] = "local." + cycle[j]
			}
			l.errorf(attrs[name].NameRange, "Cycle in local values", "The local values refer to each other in a cycle: %s.", strings.Join(cycle, " → "))
			return false
		}
		state[name] = visiting
		stack = append(stack, name)
		defer func() { state[name] = done; stack = stack[:len(stack)-1] }()
		a := attrs[name]
		ok := !l.recordRefs(a.Expr, "a local value")
		for _, t := range a.Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			step, isAttr := t[1].(hcl.TraverseAttr)
			if !isAttr {
				continue
			}
			if attrs[step.Name] == nil {
				l.errorf(t.SourceRange(), "Reference to undeclared local value", "There is no local value named %q.%s", step.Name, didYouMean(step.Name, sortedKeys(attrs)))
				ok = false
				continue
			}
			if !visit(step.Name) {
				ok = false
			}
		}
		if !ok {
			return false
		}
		v, diags := a.Expr.Value(l.constCtx(a.Expr))
		l.addEval(a.Expr, diags)
		if diags.HasErrors() {
			return false
		}
		if !v.IsWhollyKnown() {
			// Only an unset required variable makes this unknown; that is
			// already an error.
			return false
		}
		if v.IsMarked() || v.ContainsMarked() {
			l.noteSensitive(v)
		}
		l.locals[name] = v
		return true
	}
	for _, name := range sortedKeys(attrs) {
		visit(name)
	}
	// Locals that failed stay unknown so that later references do not
	// cascade into "unsupported attribute" errors.
	for name := range attrs {
		if _, ok := l.locals[name]; !ok {
			l.locals[name] = cty.DynamicVal
		}
	}
}

func sortedAttrs(as hcl.Attributes) []string { return sortedKeys(as) }

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return 0
}
