// Package diagfmt renders hcl.Diagnostics for people (file:line:col, the
// source line and a caret under the problem) and for machines (the versioned
// JSON that validate -json prints).
//
// It must not know about operators, backends or the spec language: it renders
// whatever diagnostics it is given, using the parsed files only to quote
// source lines. It never prints values, only the diagnostics' own text, so a
// sensitive value cannot leak through it.
package diagfmt
