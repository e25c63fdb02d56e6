package kafkaio

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

// TestStartOffsets checks where each partition is read from for each
// start_from, on a two-partition topic whose records carry known
// timestamps: partition 0 has records at minutes 0, 1, 2 (offsets 0-2),
// partition 1 at minutes 0 and 5 (offsets 0-1).
func TestStartOffsets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := embedded.Start(ctx, embedded.Partitions(2))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 2, -1, nil, "in"); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		partition int32
		minute    int
	}{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 5}} {
		rec := &kgo.Record{Topic: "in", Partition: r.partition, Value: []byte("x"), Timestamp: base.Add(time.Duration(r.minute) * time.Minute)}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	ms := func(minute int) *int64 { v := base.Add(time.Duration(minute) * time.Minute).UnixMilli(); return &v }
	tests := []struct {
		name    string
		latest  bool
		afterMs *int64
		want    map[int32]int64 // partition → offset
	}{
		{"earliest", false, nil, map[int32]int64{0: 0, 1: 0}},
		{"latest", true, nil, map[int32]int64{0: 3, 1: 2}},
		{"a time between records", false, ms(1), map[int32]int64{0: 1, 1: 1}},
		{"a time after every record of partition 0", false, ms(3), map[int32]int64{0: 3, 1: 1}},
		{"a time after every record", false, ms(10), map[int32]int64{0: 3, 1: 2}},
	}
	for _, tt := range tests {
		got, err := startOffsets(ctx, adm, "in", tt.latest, tt.afterMs)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		offsets := map[int32]int64{}
		for _, o := range got {
			offsets[o.Partition] = o.Offset
		}
		if diff := cmp.Diff(tt.want, offsets); diff != "" {
			t.Errorf("%s: start offsets (-want +got):\n%s", tt.name, diff)
		}
	}
}
