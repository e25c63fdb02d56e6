package schemareg

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/internal/srtest"
	"github.com/pipeline-compiler/pipeline/ir"
)

const (
	v1 = `{"type":"object","properties":{"id":{"type":"string"}}}`
	v2 = `{"type":"object","properties":{"id":{"type":"string"},"n":{"type":"number"}}}`
)

func client(t *testing.T, s *srtest.Server, reg ir.SchemaRegistry) *Client {
	t.Helper()
	reg.Name, reg.URL = "main", s.URL
	c, err := New(&reg, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPull(t *testing.T) {
	s := srtest.New(t)
	s.Register("other-value", "AVRO", `"string"`) // takes ID 1
	s.Register("orders-value", "JSON", v1)
	s.Register("orders-value", "JSON", v2)
	s.SetCompatibility("orders-value", "FULL")
	s.Register("ledger-value", "JSON", v1)
	s.Register("ledger-value", "JSON", v2)
	s.SetCompatibility("ledger-value", "BACKWARD_TRANSITIVE")
	c := client(t, s, ir.SchemaRegistry{})
	ctx := context.Background()
	tests := []struct {
		name    string
		subject string
		others  bool
		want    *schemalock.Subject
	}{
		{
			name: "latest and older versions", subject: "orders-value", others: true,
			want: &schemalock.Subject{
				Compatibility: "FULL",
				Latest:        &ir.SchemaDoc{Format: "json_schema", Text: v2, Subject: "orders-value", Version: 2, ID: 3},
				Versions:      []*ir.SchemaDoc{{Format: "json_schema", Text: v1, Subject: "orders-value", Version: 1, ID: 2}},
			},
		},
		{
			name: "latest only", subject: "orders-value",
			want: &schemalock.Subject{Compatibility: "FULL", Latest: &ir.SchemaDoc{Format: "json_schema", Text: v2, Subject: "orders-value", Version: 2, ID: 3}},
		},
		{name: "global level, avro", subject: "other-value", want: &schemalock.Subject{Compatibility: "BACKWARD", Latest: &ir.SchemaDoc{Format: "avro", Text: `"string"`, Subject: "other-value", Version: 1, ID: 1}}},
		{name: "a subject not registered yet", subject: "new-value", others: true, want: &schemalock.Subject{Compatibility: "BACKWARD"}},
		{
			// A sink's subject (others unset) at a _TRANSITIVE level: plan
			// checks against every version, so all are pinned.
			name: "transitive level pins every version", subject: "ledger-value",
			want: &schemalock.Subject{
				Compatibility: "BACKWARD_TRANSITIVE",
				Latest:        &ir.SchemaDoc{Format: "json_schema", Text: v2, Subject: "ledger-value", Version: 2, ID: 3},
				Versions:      []*ir.SchemaDoc{{Format: "json_schema", Text: v1, Subject: "ledger-value", Version: 1, ID: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Pull(ctx, tt.subject, tt.others)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pin (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegisterAndSchemaByID(t *testing.T) {
	s := srtest.New(t)
	s.Token = "tok"
	c := client(t, s, ir.SchemaRegistry{Token: "tok"})
	ctx := context.Background()
	doc := &ir.SchemaDoc{Format: "json_schema", Text: v1}
	first, err := c.Register(ctx, "revenue-value", doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Register(ctx, "revenue-value", doc)
	if err != nil {
		t.Fatal(err)
	}
	want := &ir.SchemaDoc{Format: "json_schema", Text: v1, Subject: "revenue-value", Version: 1, ID: 1}
	for _, got := range []*ir.SchemaDoc{first, again} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("registered (-want +got):\n%s", diff)
		}
	}
	byID, err := c.SchemaByID(ctx, 1)
	if err != nil || byID.Text != v1 || byID.Format != "json_schema" {
		t.Errorf("SchemaByID(1) = %+v, %v", byID, err)
	}
	if _, err := c.SchemaByID(ctx, 99); err == nil {
		t.Error("SchemaByID(99) found a schema")
	}
}

func TestAuthIsSent(t *testing.T) {
	s := srtest.New(t)
	s.Username, s.Password = "svc", "pw"
	s.Register("a-value", "JSON", v1)
	ctx := context.Background()
	if _, err := client(t, s, ir.SchemaRegistry{Username: "svc", Password: "pw"}).Pull(ctx, "a-value", false); err != nil {
		t.Errorf("with basic auth: %v", err)
	}
	_, err := client(t, s, ir.SchemaRegistry{Username: "svc", Password: "wrong"}).Pull(ctx, "a-value", false)
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("with a wrong password: err = %v", err)
	}
}
