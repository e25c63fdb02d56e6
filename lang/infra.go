package lang

import (
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var brokerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "brokers", Required: true}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "sasl"}, {Type: "tls"}},
}

var saslSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "mechanism", Required: true},
	{Name: "username", Required: true},
	{Name: "password", Required: true},
}}

var tlsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "enabled"},
	{Name: "ca_file"},
	{Name: "cert_file"},
	{Name: "key_file"},
	{Name: "insecure_skip_verify"},
}}

// decodeBroker decodes the optional broker block (one Kafka cluster).
func (l *loader) decodeBroker(blocks hcl.Blocks) {
	if len(blocks) == 0 {
		return
	}
	for _, b := range blocks[1:] {
		l.errorf(b.DefRange, "Duplicate broker block", "A spec connects to one cluster; a broker is already declared at %s.", blocks[0].DefRange)
	}
	b := blocks[0]
	br := &ir.Broker{Name: b.Labels[0]}
	l.p.Broker = br
	content, diags := b.Body.Content(brokerSchema)
	l.add(diags)
	if a := content.Attributes["brokers"]; a != nil {
		if v, ok := l.constValue(a, cty.List(cty.String)); ok {
			v, _ = v.UnmarkDeep()
			for _, e := range v.AsValueSlice() {
				if e.IsNull() || e.AsString() == "" {
					l.errorf(a.Expr.Range(), "Invalid brokers", "Broker addresses must be non-empty host:port strings.")
					continue
				}
				br.Brokers = append(br.Brokers, e.AsString())
			}
			if len(br.Brokers) == 0 {
				l.errorf(a.Expr.Range(), "Invalid brokers", "List at least one broker address (host:port).")
			}
		}
	}
	var saslBlock, tlsBlock *hcl.Block
	for _, nb := range content.Blocks {
		first := &saslBlock
		if nb.Type == "tls" {
			first = &tlsBlock
		}
		if *first != nil {
			l.errorf(nb.DefRange, "Duplicate "+nb.Type+" block", "A broker has at most one %s block; the first is at %s.", nb.Type, (*first).DefRange)
			continue
		}
		*first = nb
	}
	if saslBlock != nil {
		c, diags := saslBlock.Body.Content(saslSchema)
		l.add(diags)
		s := &ir.SASL{}
		if a := c.Attributes["mechanism"]; a != nil {
			s.Mechanism, _ = l.constEnum(a, "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
		}
		if a := c.Attributes["username"]; a != nil {
			s.Username, _ = l.constString(a)
		}
		if a := c.Attributes["password"]; a != nil {
			if v, ok := l.constValue(a, cty.String); ok {
				// A password is always sensitive, wherever it came from.
				l.noteSensitive(v)
				v, _ = v.Unmark()
				s.Password = v.AsString()
			}
		}
		br.SASL = s
	}
	if tlsBlock != nil {
		br.TLS = l.decodeTLS(tlsBlock)
	}
}

// decodeTLS decodes a tls block (of a broker or a schema_registry).
func (l *loader) decodeTLS(tlsBlock *hcl.Block) *ir.TLS {
	c, diags := tlsBlock.Body.Content(tlsSchema)
	l.add(diags)
	t := &ir.TLS{Enabled: true}
	if a := c.Attributes["enabled"]; a != nil {
		t.Enabled, _ = l.constBool(a)
	}
	if a := c.Attributes["ca_file"]; a != nil {
		t.CAFile, _ = l.constString(a)
	}
	if a := c.Attributes["cert_file"]; a != nil {
		t.CertFile, _ = l.constString(a)
	}
	if a := c.Attributes["key_file"]; a != nil {
		t.KeyFile, _ = l.constString(a)
	}
	if a := c.Attributes["insecure_skip_verify"]; a != nil {
		t.InsecureSkipVerify, _ = l.constBool(a)
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		l.errorf(tlsBlock.DefRange, "Incomplete client certificate", "cert_file and key_file must be set together.")
	}
	return t
}

var backendNames = []string{ir.BackendBeam, ir.BackendBroker, ir.BackendNative}

// decodeBackends decodes backend blocks. Their attributes are kept
// uninterpreted (each backend package reads its own); native is always
// enabled.
func (l *loader) decodeBackends(blocks hcl.Blocks) {
	seen := map[string]*ir.Backend{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !slices.Contains(backendNames, name) {
			l.errorf(b.LabelRanges[0], "Unknown backend", "There is no backend %q; backends are %s.%s", name, quoteList(backendNames), didYouMean(name, backendNames))
			continue
		}
		if prev := seen[name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate backend block", "Backend %q is already configured at %s.", name, prev.Range)
			continue
		}
		be := &ir.Backend{Name: name, Range: ir.RangeOf(b.DefRange)}
		seen[name] = be
		attrs, diags := b.Body.JustAttributes()
		l.add(diags)
		for _, an := range sortedAttrs(attrs) {
			a := attrs[an]
			if l.recordRefs(a.Expr, "a backend setting") {
				continue
			}
			v, diags := a.Expr.Value(l.constCtx(a.Expr))
			l.addEval(a.Expr, diags)
			if diags.HasErrors() {
				continue
			}
			if !v.IsWhollyKnown() {
				continue // an unset variable: already an error
			}
			if be.Attributes == nil {
				be.Attributes = map[string]ir.Const{}
			}
			be.Attributes[an] = constOf(v)
		}
	}
	if seen[ir.BackendNative] == nil {
		seen[ir.BackendNative] = &ir.Backend{Name: ir.BackendNative}
	}
	for _, name := range sortedKeys(seen) {
		l.p.Backends = append(l.p.Backends, seen[name])
	}
	sort.Slice(l.p.Backends, func(i, j int) bool { return l.p.Backends[i].Name < l.p.Backends[j].Name })
}
