package costprofile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

var backends = []string{"beam", "broker", "native"}

func sample() *Profile {
	return &Profile{
		FormatVersion: FormatVersion,
		Pipeline:      "orders",
		MeasuredAt:    "2026-11-24T11:00:00Z",
		Machine:       Machine{Cores: 2, GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.0"},
		Duration:      "500ms",
		Backends: map[string]Measurements{
			"native": {
				ir.KindFilter:    {NsPerRecord: 412.345, Operator: "filter.big_us", Records: 1000},
				ir.KindAggregate: {NsPerRecord: 2500, Operator: "aggregate.revenue", Records: 800},
			},
		},
	}
}

const sampleJSON = `{
  "format_version": "1",
  "pipeline": "orders",
  "measured_at": "2026-11-24T11:00:00Z",
  "machine": {
    "cores": 2,
    "goos": "linux",
    "goarch": "amd64",
    "go_version": "go1.26.0"
  },
  "duration": "500ms",
  "backends": {
    "native": {
      "aggregate": {
        "cpu_ns_per_record": 2500,
        "operator": "aggregate.revenue",
        "records": 800
      },
      "filter": {
        "cpu_ns_per_record": 412.3,
        "operator": "filter.big_us",
        "records": 1000
      }
    }
  }
}
`

// TestEncodeParse checks that a profile encodes to the documented,
// deterministic form and parses back.
func TestEncodeParse(t *testing.T) {
	b, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleJSON, string(b)); diff != "" {
		t.Fatalf("Encode (-want +got):\n%s", diff)
	}
	p, diags := Parse("cost-profile.json", b, backends)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := sample()
	m := want.Backends["native"][ir.KindFilter]
	m.NsPerRecord = 412.3
	want.Backends["native"][ir.KindFilter] = m
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// TestParseErrors checks that every problem is reported at the line and
// column of the key or value at fault.
func TestParseErrors(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(sampleJSON, old) {
			t.Fatalf("sample has no %q", old)
		}
		return strings.Replace(sampleJSON, old, new, 1)
	}
	tests := []struct {
		name string
		src  string
		want string // "line:col: summary: detail fragment"
	}{
		{"empty", "", "1:1: Invalid cost profile: empty"},
		{"syntax", replace(`"cores": 2,`, `"cores": 2`), "7:5: Invalid cost profile: not valid JSON"},
		{"trailing data", sampleJSON + "{}\n", "27:1: Invalid cost profile: more than one JSON value"},
		{"wrong type", replace(`"cores": 2`, `"cores": "two"`), `6:5: Invalid cost profile: machine.cores must be a whole number, not a JSON string`},
		{"unknown field", replace(`"records": 800`, `"records": 800, "bogus": 1`), `17:25: Invalid cost profile: no field "bogus"`},
		{"format version", replace(`"format_version": "1"`, `"format_version": "9"`), "2:3: Unsupported cost profile format: this build reads"},
		{"measured_at", replace(`"2026-11-24T11:00:00Z"`, `"yesterday"`), "4:3: Invalid cost profile: measured_at must be an RFC 3339 time"},
		{"cores", replace(`"cores": 2`, `"cores": 0`), "6:5: Invalid cost profile: machine.cores must be at least 1"},
		{"unknown backend", replace(`"native": {`, `"spark": {`), `13:5: Unknown backend in cost profile: backend "spark"`},
		{"unknown kind", replace(`"filter": {`, `"window": {`), `19:7: Unknown operator kind in cost profile: "window" is not`},
		{"zero cost", replace(`"cpu_ns_per_record": 2500`, `"cpu_ns_per_record": 0`), "15:9: Invalid cost profile: backends.native.aggregate.cpu_ns_per_record must be a positive"},
		{"negative cost", replace(`"cpu_ns_per_record": 412.3`, `"cpu_ns_per_record": -1`), "20:9: Invalid cost profile: backends.native.filter.cpu_ns_per_record must be a positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := Parse("cost-profile.json", []byte(tt.src), backends)
			if !diags.HasErrors() || p != nil {
				t.Fatalf("Parse = %v, %v; want an error", p, diags)
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != "cost-profile.json" {
				t.Fatalf("diagnostic %v has no subject in cost-profile.json", d)
			}
			got := fmt.Sprintf("%d:%d: %s: %s", d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
			prefix, fragment, _ := strings.Cut(tt.want, ": ")
			summary, fragment, _ := strings.Cut(fragment, ": ")
			if !strings.HasPrefix(got, prefix+": "+summary+": ") || !strings.Contains(got, fragment) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestApply checks that measured kinds replace the defaults, the others
// stay, and the defaults given are not modified.
func TestApply(t *testing.T) {
	def := optimizer.Capabilities{Stateful: true, Costs: optimizer.Costs{Fixed: 0.5, CPUPerRecord: optimizer.PerRecord(1e-6, 3e-6, 1e-6)}}
	got := sample().Apply("native", def)
	want := optimizer.PerRecord(1e-6, 3e-6, 1e-6)
	want[ir.KindFilter] = 412.345e-9
	want[ir.KindAggregate] = 2500e-9
	if diff := cmp.Diff(want, got.Costs.CPUPerRecord, cmpApprox()); diff != "" {
		t.Errorf("CPUPerRecord (-want +got):\n%s", diff)
	}
	if got.Costs.Fixed != 0.5 || !got.Stateful {
		t.Errorf("Apply changed more than CPU costs: %+v", got)
	}
	if def.Costs.CPUPerRecord[ir.KindFilter] != 1e-6 {
		t.Errorf("Apply modified the defaults it was given")
	}
	if diff := cmp.Diff(def, sample().Apply("beam", def)); diff != "" {
		t.Errorf("a backend the profile does not measure changed (-want +got):\n%s", diff)
	}
	var none *Profile
	if diff := cmp.Diff(def, none.Apply("native", def)); diff != "" {
		t.Errorf("a nil profile changed the defaults (-want +got):\n%s", diff)
	}
}

func cmpApprox() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return a == b || (a-b)/b < 1e-12 && (b-a)/b < 1e-12 })
}

func TestRef(t *testing.T) {
	src := []byte(sampleJSON)
	got := sample().Ref("examples/orders/cost-profile.json", src)
	want := &ir.CostProfile{File: "examples/orders/cost-profile.json", Hash: ir.Hash(src), MeasuredAt: "2026-11-24T11:00:00Z", Cores: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ref (-want +got):\n%s", diff)
	}
}
