package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestChangelogMarks(t *testing.T) {
	src := `aggregate "per_country" {
  input  = source.orders
  key    = { country = record.country }
  fields = { total = sum(record.amount), n = count() }
}
map "renamed" {
  input  = aggregate.per_country
  fields = { c = record.country, total = record.total }
}
map "dropped" {
  input  = aggregate.per_country
  fields = { total = record.total }
}
aggregate "overall" {
  input  = map.renamed
  fields = { avg_total = avg(record.total) }
}
top "best" {
  input    = source.orders
  key      = [record.country]
  order_by = record.amount
  limit    = 2
}
filter "big" {
  input = source.orders
  where = record.amount > 1
}
sink "a" {
  input = aggregate.overall
  file  = "a.jsonl"
}
sink "b" {
  input = top.best
  topic = "b"
}
sink "c" {
  input = map.dropped
  topic = "c"
}
sink "d" {
  input = filter.big
  topic = "d"
}`
	res, diags := loadCase(src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	type mark struct {
		Changelog bool
		Key       []string
		ByRow     bool
	}
	got := map[string]mark{}
	for _, op := range res.Pipeline.Operators {
		got[op.ID] = mark{op.Changelog, op.ChangelogKey, op.ChangelogByRow}
	}
	want := map[string]mark{
		"source.orders": {}, "source.customers": {}, "filter.big": {}, "sink.d": {},
		"aggregate.per_country": {true, []string{"country"}, false},
		"map.renamed":           {true, []string{"c"}, false},
		"map.dropped":           {true, nil, true},
		"aggregate.overall":     {true, nil, false},
		"top.best":              {true, nil, true},
		"sink.a":                {true, nil, false},
		"sink.b":                {true, nil, true},
		"sink.c":                {true, nil, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changelog marks (-want +got):\n%s", diff)
	}
	if !res.Pipeline.Operator("top.best").Top.Continuous {
		t.Error("top.best is not continuous")
	}
	if ty := res.Pipeline.Operator("aggregate.per_country").Schema.Type; ty.HasAttribute("window_end") {
		t.Errorf("a continuous aggregate's rows have window bounds: %s", ty.FriendlyName())
	}
}

func TestChangelogErrors(t *testing.T) {
	const agg = `aggregate "per_country" {
  input  = source.orders
  key    = { country = record.country }
  fields = { total = sum(record.amount) }
}
`
	tests := []struct {
		name, src string
		want      []string
		detail    string
	}{
		{"max over a changelog", agg + `aggregate "m" {
  input  = aggregate.per_country
  fields = { best = max(record.total), n = count() }
}`, []string{"error b.hcl:8:14: Aggregate cannot read a changelog"}, "max cannot"},
		{"join with a changelog", agg + `join "j" {
  left   = source.orders
  right  = aggregate.per_country
  on     = left.country == right.country
  within = "1m"
  fields = { id = left.id }
}`, []string{"error b.hcl:8:12: Changelog input not supported"}, "a join reads append-only streams"},
		{"windowed aggregate over a changelog", agg + `aggregate "w" {
  input  = aggregate.per_country
  window = tumbling("1m")
  fields = { n = count() }
}`, []string{"error b.hcl:7:12: Changelog input not supported"}, "Give aggregate.per_country a window"},
		{"route over a changelog", agg + `route "r" {
  input = aggregate.per_country
  output "all" { default = true }
}`, []string{"error b.hcl:7:11: Changelog input not supported"}, "a route reads append-only streams"},
		{"top over a changelog", agg + `top "t" {
  input    = aggregate.per_country
  order_by = record.total
  limit    = 1
}`, []string{"error b.hcl:7:14: Top cannot read a changelog"}, "append-only"},
		{"pinned to the broker", `aggregate "a" {
  input   = source.orders
  backend = "broker"
  fields  = { n = count() }
}`, []string{"error b.hcl:1:1: Changelog operator pinned to broker"}, "runs on native and Beam only"},
		// Beam hosts changelogs (backends/beam changelog.go): no error.
		{"pinned to beam", `aggregate "a" {
  input   = source.orders
  backend = "beam"
  fields  = { n = count() }
}`, nil, ""},
		{"op field in a changelog file", `aggregate "a" {
  input  = source.orders
  key    = { op = record.country }
  fields = { n = count() }
}
sink "f" {
  input = aggregate.a
  file  = "f.jsonl"
}`, []string{"error b.hcl:7:11: Field op in a changelog file"}, "Rename it"},
		{"lateness without a window", `aggregate "a" {
  input            = source.orders
  allowed_lateness = "1s"
  fields           = { n = count() }
}`, []string{"error b.hcl:3:3: allowed_lateness without a window"}, "continuous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src + `
sink "s" {
  input = ` + strings.SplitN(strings.SplitN(tt.src, "\"", 3)[0], " ", 2)[0] + `.` + strings.SplitN(tt.src, "\"", 3)[1] + `
  topic = "x"
}`
			_, diags := loadCase(src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diags.Error())
			}
			for _, d := range diags {
				if d.Severity == hcl.DiagError && !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("detail %q lacks %q", d.Detail, tt.detail)
				}
			}
		})
	}
}
