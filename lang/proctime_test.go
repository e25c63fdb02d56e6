package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestWindowTime(t *testing.T) {
	tests := []struct {
		name, body string
		wantWindow string   // the decoded window, when there is no error
		want       []string // errors
		detail     string
	}{
		{name: "processing", body: `window = tumbling("10s")
  window_time = "processing"`, wantWindow: "tumbling(10s) in processing time"},
		{name: "session in processing time", body: `window = session("30s")
  window_time = "processing"`, wantWindow: "session(30s) in processing time"},
		{name: "event is the default", body: `window = hopping("10s", "5s")
  window_time = "event"`, wantWindow: "hopping(10s, 5s)"},
		{name: "misspelled", body: `window = tumbling("10s")
  window_time = "procesing"`, want: []string{"error b.hcl:4:17: Invalid value"}, detail: `Did you mean "processing"?`},
		{name: "lateness in processing time", body: `window = tumbling("10s")
  window_time = "processing"
  allowed_lateness = "4s"`, want: []string{"error b.hcl:5:22: Invalid allowed_lateness"}, detail: "no record is late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `aggregate "a" {
  input = source.orders
  ` + tt.body + `
  fields = { n = count() }
}
sink "s" {
  input = aggregate.a
  file  = "out.jsonl"
}`
			res, diags := loadCase(src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diags.Error())
			}
			for _, d := range diags {
				if len(tt.want) > 0 && strings.HasSuffix(tt.want[0], d.Summary) && !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("detail %q lacks %q", d.Detail, tt.detail)
				}
			}
			if len(tt.want) > 0 {
				return
			}
			if got := res.Pipeline.Operator("aggregate.a").Aggregate.Window.String(); got != tt.wantWindow {
				t.Errorf("window %q, want %q", got, tt.wantWindow)
			}
		})
	}
}

// TestWindowTimeResetsState: switching an aggregate between event and
// processing time is a window change, which resets its state.
func TestWindowTimeResetsState(t *testing.T) {
	shape := func(windowTime string) *ir.StateShape {
		t.Helper()
		res, diags := loadCase(`aggregate "a" {
  input       = source.orders
  window      = tumbling("10s")
  window_time = "`+windowTime+`"
  fields      = { n = count() }
}
sink "s" {
  input = aggregate.a
  file  = "out.jsonl"
}`, Options{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return res.Pipeline.ShapeOf(res.Pipeline.Operator("aggregate.a"))
	}
	want := "window changed from tumbling(10s) to tumbling(10s) in processing time"
	if got := ir.StateResetReason(shape("event"), shape("processing")); got != want {
		t.Errorf("event to processing: %q, want %q", got, want)
	}
	if got := ir.StateResetReason(shape("processing"), shape("processing")); got != "" {
		t.Errorf("unchanged: %q, want no reset", got)
	}
}
