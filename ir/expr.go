package ir

// Expr is a per-record expression kept as HCL native-syntax source text.
//
// Source is exactly the text between the range's start and end in the spec,
// so it can be re-parsed with hclsyntax.ParseExpression(Source, Range.Filename,
// Range.Start) and every diagnostic still points into the user's file. The
// evaluator (package ir/eval) compiles it once into a closure.
type Expr struct {
	Source string `json:"source"`
	Range  Range  `json:"range"`
}

// IsZero reports whether the expression is absent.
func (e *Expr) IsZero() bool { return e == nil || e.Source == "" }

// Field is one named output column computed by an expression, as in
// map.fields, join.fields and aggregate.key.
type Field struct {
	Name string `json:"name"`
	Expr Expr   `json:"expr"`
}
