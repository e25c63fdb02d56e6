package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

var blockRange = ir.Range{Filename: "main.hcl", Start: ir.Pos{Line: 3, Column: 1, Byte: 20}, End: ir.Pos{Line: 3, Column: 17, Byte: 36}}

// pipelineWith is a pipeline with a broker block and backend "broker"
// carrying attrs.
func pipelineWith(attrs map[string]ir.Const) *ir.Pipeline {
	return &ir.Pipeline{
		Name:   "p",
		Broker: &ir.Broker{Name: "main", Brokers: []string{"rp:9092"}},
		Backends: []*ir.Backend{
			{Name: ir.BackendBroker, Attributes: attrs, Range: blockRange},
			{Name: ir.BackendNative},
		},
	}
}

func str(s string) ir.Const    { return ir.Const{Value: cty.StringVal(s)} }
func secret(s string) ir.Const { return ir.Const{Value: cty.StringVal(s), Sensitive: true} }

// diag is the part of a diagnostic the tests compare.
type diag struct {
	Severity hcl.DiagnosticSeverity
	Summary  string
	Detail   string // a substring of the detail
}

func summarize(diags hcl.Diagnostics, want []diag) []diag {
	out := make([]diag, len(diags))
	for i, d := range diags {
		out[i] = diag{Severity: d.Severity, Summary: d.Summary, Detail: d.Detail}
		if i < len(want) && strings.Contains(d.Detail, want[i].Detail) {
			out[i].Detail = want[i].Detail
		}
	}
	return out
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name  string
		p     *ir.Pipeline
		want  *Config
		diags []diag
	}{{
		name: "no broker backend",
		p:    &ir.Pipeline{Name: "p", Backends: []*ir.Backend{{Name: ir.BackendNative}}},
	}, {
		name: "local host: no settings",
		p:    pipelineWith(nil),
		want: &Config{},
	}, {
		name: "everything",
		p: pipelineWith(map[string]ir.Const{
			"admin_url": str("https://rp.example.com:9644/"), "admin_username": str("svc"), "admin_password": secret("pw"),
			"admin_ca_file": str("ca.pem"), "admin_timeout": str("2m"), "memory_limit": str("16MiB"),
		}),
		want: &Config{AdminURL: "https://rp.example.com:9644", Username: "svc", Password: "pw", CAFile: "ca.pem",
			Timeout: 2 * time.Minute, MemoryLimit: 16 << 20},
	}, {
		name: "memory_limit as a number of bytes",
		p:    pipelineWith(map[string]ir.Const{"memory_limit": {Value: cty.NumberIntVal(4194304)}}),
		want: &Config{MemoryLimit: 4 << 20},
	}, {
		name:  "an unknown setting",
		p:     pipelineWith(map[string]ir.Const{"admin_ulr": str("http://x:9644")}),
		diags: []diag{{hcl.DiagError, "Unsupported broker backend setting", `Did you mean "admin_url"?`}},
	}, {
		name:  "a decimal unit",
		p:     pipelineWith(map[string]ir.Const{"memory_limit": str("16MB")}),
		diags: []diag{{hcl.DiagError, "Invalid broker backend setting", "did you mean MiB?"}},
	}, {
		name:  "a wrong type",
		p:     pipelineWith(map[string]ir.Const{"admin_url": {Value: cty.True}}),
		diags: []diag{{hcl.DiagError, "Invalid broker backend setting", "admin_url: want a string, got bool."}},
	}, {
		name:  "credentials in the URL",
		p:     pipelineWith(map[string]ir.Const{"admin_url": str("http://svc:pw@localhost:9644")}),
		diags: []diag{{hcl.DiagError, "Invalid broker backend setting", "use admin_username and admin_password"}},
	}, {
		name:  "a bad duration",
		p:     pipelineWith(map[string]ir.Const{"admin_timeout": str("soon")}),
		diags: []diag{{hcl.DiagError, "Invalid broker backend setting", `got "soon"`}},
	}, {
		name: "password without user, in clear",
		p:    pipelineWith(map[string]ir.Const{"admin_url": str("http://localhost:9644"), "admin_password": str("pw")}),
		diags: []diag{
			{hcl.DiagWarning, "Secret written in the spec", "admin_password is written in clear"},
			{hcl.DiagError, "Incomplete Admin API credentials", "admin_password needs admin_username."},
		},
	}, {
		name: "basic and bearer",
		p: pipelineWith(map[string]ir.Const{"admin_url": str("http://localhost:9644"), "admin_username": str("u"),
			"admin_password": secret("p"), "admin_token": secret("t")}),
		diags: []diag{{hcl.DiagError, "Conflicting Admin API credentials", "not both"}},
	}, {
		name: "admin_url without a broker block",
		p: func() *ir.Pipeline {
			p := pipelineWith(map[string]ir.Const{"admin_url": str("http://localhost:9644")})
			p.Broker = nil
			return p
		}(),
		diags: []diag{{hcl.DiagError, "admin_url needs a broker block", "embedded broker"}},
	}, {
		name: "TLS settings on http, credentials in clear text",
		p: pipelineWith(map[string]ir.Const{"admin_url": str("http://rp.example.com:9644"), "admin_token": secret("t"),
			"admin_ca_file": str("ca.pem")}),
		want: &Config{AdminURL: "http://rp.example.com:9644", Token: "t", CAFile: "ca.pem"},
		diags: []diag{
			{hcl.DiagWarning, "TLS setting on an http admin_url", "admin_ca_file has no effect"},
			{hcl.DiagWarning, "Credentials sent in clear text", "use https"},
		},
	}, {
		name:  "deploy settings without admin_url",
		p:     pipelineWith(map[string]ir.Const{"admin_timeout": str("5s")}),
		want:  &Config{Timeout: 5 * time.Second},
		diags: []diag{{hcl.DiagWarning, "Setting without admin_url", "admin_timeout only matters"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := DecodeConfig(tt.p)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.diags, summarize(diags, tt.diags), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "main.hcl" || d.Subject.Start.Line != 3 {
					t.Errorf("diagnostic %q has subject %v, want the backend block", d.Summary, d.Subject)
				}
				for _, s := range []string{"pw", "s3cret"} {
					if strings.Contains(d.Detail, `"`+s+`"`) {
						t.Errorf("diagnostic %q shows a secret: %s", d.Summary, d.Detail)
					}
				}
			}
		})
	}
}

func TestParseAndFormatSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"2097152", 2 << 20}, {"2MiB", 2 << 20}, {"2 MiB", 2 << 20}, {"512KiB", 512 << 10}, {"1.5GiB", 3 << 29}, {"10b", 10}, {"8mib", 8 << 20}} {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "MiB", "-1MiB", "0", "1.5", "2 MB", "lots", "0.1B"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 2 << 20: "2 MiB", 9961472: "9.5 MiB", 1536: "1.5 KiB", 8269997: "7.9 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
