package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// eventTimeSpec reads clicks whose event time is their ts field, keeps the
// big ones and counts them per user and minute. The source and filter are
// pinned to backend %[1]q; the window runs on native behind a channel.
const eventTimeSpec = `pipeline "evt_%[1]s" {}

variable "broker" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

backend "broker" {}

source "clicks" {
  topic      = "clicks"
  format     = "json"
  schema     = object({ user = string, ts = string, bytes = number })
  event_time = record.ts
  backend    = %[1]q
}

filter "big" {
  input   = source.clicks
  where   = record.bytes > 1000
  backend = %[1]q
}

aggregate "per_user" {
  input  = filter.big
  key    = { user = record.user }
  window = tumbling("1m")
  fields = { n = count() }
}

sink "out" {
  input  = aggregate.per_user
  topic  = "per-user-%[1]s"
  format = "json"
}
`

// TestEventTimeCrossesABrokerStage is issue 15's proof: with the event
// time computed by a broker stage (in the local WebAssembly host) from a
// field it read, the windows downstream on native are exactly those of an
// all-native run. The Kafka timestamps kcat gives the clicks are the
// wall clock, so a lost event time would put every click in this minute.
// Expected by hand from the ts fields.
func TestEventTimeCrossesABrokerStage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	needKcat(t)
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "pipeline"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build pipeline: %v\n%s", err, out)
	}
	addr := testkit.StartBroker(t, "-partitions", "2")
	click := func(user, ts string, bytes int) string {
		return fmt.Sprintf(`%s|{"user":%q,"ts":"2026-01-01T%sZ","bytes":%d}`, user, user, ts, bytes)
	}
	testkit.Produce(t, addr, "clicks", []string{
		click("a", "00:00:10", 2000),
		click("b", "00:00:20", 1500),
		click("a", "00:00:50", 5000),
		click("a", "00:01:10", 3000),
		click("a", "00:01:20", 10), // filtered out
		click("b", "00:02:30", 4000),
		click("a", "00:02:40", 4000),
	})
	window := func(user string, n int, minute int) string {
		return fmt.Sprintf(`{"n":%d,"user":%q,"window_end":"2026-01-01T00:%02d:00Z","window_start":"2026-01-01T00:%02d:00Z"}`, n, user, minute+1, minute)
	}
	want := []string{window("a", 2, 0), window("b", 1, 0), window("a", 1, 1), window("b", 1, 2), window("a", 1, 2)}

	for _, backend := range []string{"broker", "native"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(eventTimeSpec, backend)), 0o600); err != nil {
				t.Fatal(err)
			}
			plan, err := exec.Command(filepath.Join(bin, "pipeline"), "plan", "-var", "broker="+addr, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("pipeline plan: %v\n%s", err, plan)
			}
			run := exec.Command(filepath.Join(bin, "pipeline"), "run", "-exit-when-idle", "2s",
				"-state-dir", t.TempDir(), "-var", "broker="+addr, dir)
			if out, err := run.CombinedOutput(); err != nil {
				t.Fatalf("pipeline run: %v\n%s\nplan:\n%s", err, out, plan)
			}
			var got []string
			for _, l := range testkit.ConsumeFormat(t, addr, "per-user-"+backend, "%s") {
				got = append(got, l)
			}
			if d := cmp.Diff(normalized(t, want), normalized(t, got)); d != "" {
				t.Errorf("per-user-%s (-want +got):\n%s\nplan:\n%s", backend, d, plan)
			}
		})
	}
}
