package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
)

// fuzzSeeds are inline seeds besides the spec files found on disk.
var fuzzSeeds = []string{
	``,
	`pipeline "p" {}`,
	`pipeline "p" { optimize = "latency" }
source "s" {
  file   = "in.jsonl"
  schema = object({ a = number, b = string })
}
aggregate "a" {
  input  = source.s
  key    = { b = record.b }
  window = hopping("5m", "1m")
  fields = { n = count(), t = sum(record.a), f = first(record.b) }
}
sink "o" {
  input = aggregate.a
  file  = "out.jsonl"
}
`,
	`pipeline "p" {}
source "s" {
  topic  = "t"
  schema = object({ a = number })
}
filter "f" {
  input = filter.g
  where = record.a > 1
}
filter "g" {
  input = filter.f
  where = sum(record.a) > 1
}
`,
	`variable "x" {
  type      = list(number)
  default   = [1, 2]
  sensitive = true
  validation {
    condition     = length(var.x) > 0
    error_message = "empty"
  }
}
locals {
  a = local.b
  b = var.x[0] + 1
}
`,
	`pipeline "p" {}
source "l" {
  topic  = "l"
  schema = object({ k = string })
}
source "r" {
  topic  = "r"
  schema = object({ k = string })
}
join "j" {
  left   = source.l
  right  = source.r
  on     = left.k == right.k && (right.k == left.k)
  within = "1d2h"
  fields = { k = left.k, "q" = right.k }
}
route "x" {
  input = join.j
  output "a" { when = record.k == "a" }
  output "b" { default = true }
}
sink "o" {
  input = route.x.a
  topic = "o"
}
test "t" {
  given "source.l" { records = [{ k = "a" }] }
  expect "sink.o" { records = [{ k = "a", q = "a" }] }
}
`,
}

// FuzzLoad checks that no input makes Load panic, and that a loaded
// pipeline is consistent with the diagnostics.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, dir := range []string{"testdata", "../examples"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
		more, _ := filepath.Glob(filepath.Join(dir, "*", "*.hcl"))
		for _, p := range append(paths, more...) {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		// A hang is a bug too; the fuzzer does not time out single inputs.
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("slow input: %q", src)) })
		defer tm.Stop()
		res, diags := LoadFiles(map[string][]byte{"fuzz.hcl": src}, Options{Env: []string{"KAFKA_PASSWORD=x"}})
		if res == nil {
			t.Fatal("nil result")
		}
		if diags.HasErrors() != (res.Pipeline == nil) {
			t.Fatalf("pipeline %v with errors=%v", res.Pipeline != nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Subject == nil && d.Summary != "No spec files" {
				t.Errorf("diagnostic without a subject: %s", d.Summary)
			}
		}
		if res.Pipeline != nil {
			// A loaded pipeline must encode (no unknown or marked values).
			if _, err := (&ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: res.Pipeline}).Encode(); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = FormatFile("fuzz.hcl", src)
	})
}
