package ir

import (
	"math"
	"strconv"
	"strings"
)

// Rewrite rules.
const (
	// RuleFilterPushdown moves a filter before the map or route that feeds
	// it, so that it cuts records earlier.
	RuleFilterPushdown = "filter_pushdown"
)

// Rewrite is one semantics-preserving change the optimizer made to the
// pipeline before placing it. Operator IDs never change, but a rewrite can
// change which records a stream carries: Streams says so for every stream
// of the pipeline before the rewrite whose records moved.
type Rewrite struct {
	Rule     string       `json:"rule"`     // RuleFilterPushdown
	Operator string       `json:"operator"` // the operator that moved
	Before   string       `json:"before"`   // the operator it now runs before
	Why      string       `json:"why"`      // why it means the same, in plain words
	Streams  []StreamMove `json:"streams,omitempty"`
}

// StreamMove says that the records stream From carried before a rewrite are
// now carried by stream To; To is empty when no stream carries them any
// more (a filter pushed before a map leaves no unfiltered map output).
type StreamMove struct {
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// String is the rewrite in one line, as plan output shows it.
func (r Rewrite) String() string {
	if r.Rule == RuleFilterPushdown {
		return r.Operator + " pushed before " + r.Before + ": " + r.Why
	}
	return r.Rule + " " + r.Operator + " (" + r.Before + "): " + r.Why
}

// StreamFor returns the stream of the plan's pipeline that carries the
// records stream carried in the spec (before any rewrite): stream itself
// unless a rewrite moved them. ok is false when no stream carries them any
// more. A test that expects records on a stream of the spec reads them from
// StreamFor's stream in the plan.
func (p *Plan) StreamFor(stream string) (string, bool) {
	for _, r := range p.Rewrites {
		for _, m := range r.Streams {
			if m.From == stream {
				if m.To == "" {
					return "", false
				}
				stream = m.To
				break
			}
		}
	}
	return stream, true
}

// Decode is which top-level fields of one input stream a stage reads, so
// that it decodes only those: a source the stage hosts (the source's ID),
// or a channel into it (the channel's stream).
type Decode struct {
	Stream string   `json:"stream"`
	Fields []string `json:"fields"` // sorted
	Of     int      `json:"of"`     // fields in the stream's schema
}

// Pruned reports whether the stage skips some of the stream's fields.
func (d Decode) Pruned() bool { return len(d.Fields) < d.Of }

// FormatCost formats a cost with three significant digits, as plan output
// and explanations show costs (JSON keeps full precision): 1.19125 → "1.19",
// 0.000123456 → "0.000123", 12345 → "12300".
func FormatCost(c float64) string {
	if c == 0 {
		return "0"
	}
	if math.IsInf(c, 0) || math.IsNaN(c) {
		return strconv.FormatFloat(c, 'g', -1, 64)
	}
	// Round first: rounding can carry into the next power of ten (9.996).
	r, _ := strconv.ParseFloat(strconv.FormatFloat(c, 'e', 2, 64), 64)
	exp := int(math.Floor(math.Log10(math.Abs(r))))
	if exp < -4 || exp >= 9 {
		return strconv.FormatFloat(r, 'g', 3, 64)
	}
	s := strconv.FormatFloat(r, 'f', max(0, 2-exp), 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// FormatCostDelta is FormatCost with an explicit sign: "+0.5", "-1.2".
func FormatCostDelta(c float64) string {
	if c < 0 || math.IsInf(c, 0) || math.IsNaN(c) {
		return FormatCost(c)
	}
	return "+" + FormatCost(c)
}
