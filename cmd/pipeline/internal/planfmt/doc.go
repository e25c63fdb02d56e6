// Package planfmt renders a physical plan (ir.Plan) for people: the plan
// summary that plan and show print, and the DOT and Mermaid graphs that
// graph prints.
//
// It reads only the plan; it must not plan, load specs or know what an
// operator does. The plan it is given should already be redacted.
package planfmt
