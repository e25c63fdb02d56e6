package worker

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// start_from applies only where the group has no committed offset (kgo
// hands those the reset offset, the log start) and only to the topics it
// is set for: a channel topic always starts at its beginning.
func TestAdjustStartKeepsCommittedOffsets(t *testing.T) {
	start := kgo.NewOffset().AtStart() // the client's reset offset
	offsets := map[string]map[int32]kgo.Offset{
		"orders":  {0: start, 1: kgo.NewOffset().At(42)},
		"channel": {0: start},
	}
	got, err := adjustStart(map[string]kgo.Offset{"orders": kgo.NewOffset().AtEnd()})(context.Background(), offsets)
	if err != nil {
		t.Fatal(err)
	}
	flat := map[string]int64{}
	for topic, parts := range got {
		for p, o := range parts {
			flat[topic+"/"+string(rune('0'+p))] = o.EpochOffset().Offset
		}
	}
	want := map[string]int64{"orders/0": -1, "orders/1": 42, "channel/0": -2} // -1: the end, -2: the start
	if diff := cmp.Diff(want, flat); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
}
