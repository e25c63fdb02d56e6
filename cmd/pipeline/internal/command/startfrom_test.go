package command

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApplyPassesStartFromToNewTransforms deploys two broker stages whose
// sources start at the end of their topic and at a time: each deploy
// request carries the offset rpk's --from-offset would send (-0 and
// @<epoch ms>), and plan says where each new transform reads from.
func TestApplyPassesStartFromToNewTransforms(t *testing.T) {
	rp := newRedpanda(t)
	orders := strings.Replace(ordersChain, `format = "json"`, `format = "json"
  start_from = "latest"`, 1)
	clicks := strings.Replace(clicksChain, `format = "json"`, `format = "json"
  start_from = "2026-01-01T00:00:00Z"`, 1)
	dir := writeSpec(t, rp.spec(clicks, orders))

	check{outHas: []string{
		"new      consumer broker.source.clicks: reads from 2026-01-01T00:00:00Z",
		"new      consumer broker.source.orders: reads from latest",
	}}.verify(t, runEnv(t, "plan", dir))

	if res := runEnv(t, "apply", "-auto-approve", dir); res.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	got := map[string]string{}
	for _, tr := range rp.admin.Transforms() {
		got[tr.Name] = tr.Offset
	}
	want := map[string]string{
		"shop-broker.source.clicks": "timestamp 1767225600000", // 2026-01-01T00:00:00Z
		"shop-broker.source.orders": "from_end 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deploy offsets (-want +got):\n%s", diff)
	}

	// Without start_from a new transform reads its topic from the start.
	rp2 := newRedpanda(t)
	dir2 := writeSpec(t, rp2.spec(ordersChain))
	if res := runEnv(t, "apply", "-auto-approve", dir2); res.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if trs := rp2.admin.Transforms(); len(trs) != 1 || trs[0].Offset != "from_start 0" {
		t.Errorf("default start_from: transforms %+v, want one deployed with offset from_start 0", trs)
	}
}
