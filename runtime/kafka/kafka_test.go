package kafka

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestClientOptions(t *testing.T) {
	tests := []struct {
		name    string
		broker  *ir.Broker
		wantN   int // number of options
		wantErr bool
	}{
		{"nil", nil, 0, true},
		{"no brokers", &ir.Broker{Name: "b"}, 0, true},
		{"plain", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}}, 1, false},
		{"sasl plain", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, SASL: &ir.SASL{Mechanism: "PLAIN", Username: "u", Password: "p"}}, 2, false},
		{"scram 256", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, SASL: &ir.SASL{Mechanism: "SCRAM-SHA-256"}}, 2, false},
		{"scram 512 lower case", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, SASL: &ir.SASL{Mechanism: "scram-sha-512"}}, 2, false},
		{"bad mechanism", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, SASL: &ir.SASL{Mechanism: "GSSAPI"}}, 0, true},
		{"tls", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, TLS: &ir.TLS{Enabled: true}}, 2, false},
		{"tls disabled", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, TLS: &ir.TLS{}}, 1, false},
		{"tls missing ca", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, TLS: &ir.TLS{Enabled: true, CAFile: "/nonexistent/ca.pem"}}, 0, true},
		{"tls cert without key", &ir.Broker{Name: "b", Brokers: []string{"h:9092"}, TLS: &ir.TLS{Enabled: true, CertFile: "c.pem"}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := ClientOptions(tt.broker)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ClientOptions() error = %v, wantErr %v", err, tt.wantErr)
			}
			if len(opts) != tt.wantN {
				t.Errorf("ClientOptions() gave %d options, want %d", len(opts), tt.wantN)
			}
		})
	}
}

func TestEnsureTopicsAndLoadFile(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := testkit.EmbeddedBroker(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	if err := EnsureTopics(ctx, adm, []string{"a", "b", "a", ""}, 3); err != nil {
		t.Fatal(err)
	}
	// Existing topics are not an error, and keep their partition count.
	if err := EnsureTopics(ctx, adm, []string{"a", "c"}, 1); err != nil {
		t.Fatal(err)
	}
	details, err := adm.ListTopics(ctx, "a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for name, d := range details {
		got[name] = len(d.Partitions)
	}
	if diff := cmp.Diff(map[string]int{"a": 3, "b": 3, "c": 1}, got); diff != "" {
		t.Errorf("partitions (-want +got):\n%s", diff)
	}

	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte("{\"i\":1}\n\n{\"i\":2}\n{\"i\":3}"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := LoadFile(ctx, cl, path, "c")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("LoadFile() = %d, want 3", n)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics("c"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var values []string
	for len(values) < 3 && ctx.Err() == nil {
		cons.PollFetches(ctx).EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
	}
	if diff := cmp.Diff([]string{`{"i":1}`, `{"i":2}`, `{"i":3}`}, values); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
