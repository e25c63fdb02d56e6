package beam

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/lang"
)

// TestTableIndexTombstone is issue 16.2 on Beam with a tombstone, which a
// test block cannot give: testdata/issue16/tablejoin's join, fed its
// table through Kafka-like records. c4 moves to dana@newmail.org, c5 is
// deleted by a tombstone, c6 leaves the address it shares with c7.
// Expected by hand, as native's TestTableJoinOnNonKeyField.
func TestTableIndexTombstone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline on Prism")
	}
	res, diags := lang.Load(filepath.Join("..", "..", "testdata", "issue16", "tablejoin"), lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := testPlan(res.Pipeline)
	row := func(v string) Record { return Record{Value: []byte(v)} }
	feeds := []Feed{
		{Stream: "source.customers", Records: []Record{
			row(`{"id":"c4","email":"dana@example.org","tier":"bronze"}`),
			row(`{"id":"c5","email":"eve@example.org","tier":"silver"}`),
			row(`{"id":"c6","email":"shared@example.org","tier":"a"}`),
			row(`{"id":"c7","email":"shared@example.org","tier":"b"}`),
			row(`{"id":"c4","email":"dana@newmail.org","tier":"gold"}`),
			{Key: []byte("c5")}, // tombstone
			row(`{"id":"c6","email":"c6@example.org","tier":"a"}`),
		}},
		{Stream: "source.signups", Records: []Record{
			row(`{"id":"s1","email":" Dana@Example.org "}`),
			row(`{"id":"s2","email":"dana@newmail.org"}`),
			row(`{"id":"s3","email":"eve@example.org"}`),
			row(`{"id":"s4","email":"shared@example.org"}`),
			row(`{"id":"s5","email":"c6@example.org"}`),
		}},
	}
	for _, f := range feeds {
		for i := range f.Records {
			f.Records[i].Offset = int64(i)
		}
	}
	if err := Sequence(plan, testStage, feeds); err != nil {
		t.Fatal(err)
	}
	io := newTestIO(feeds)
	defer io.close()
	pipe, err := Build(plan, testStage, io)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), pipe, "test-tableindex"); err != nil {
		t.Fatal(err)
	}
	out := io.outputs()
	var got []string
	for _, v := range out.Got["sink.out"] {
		got = append(got, string(v))
	}
	slices.Sort(got)
	want := []string{
		`{"customer":"c4","id":"s2","tier":"gold"}`,
		`{"customer":"c6","id":"s5","tier":"a"}`,
		`{"customer":"c7","id":"s4","tier":"b"}`,
		`{"customer":null,"id":"s1","tier":null}`, // the old address is gone
		`{"customer":null,"id":"s3","tier":null}`, // deleted
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sink.out (-want +got):\n%s", d)
	}
	if len(out.DeadLetters) > 0 {
		t.Errorf("dead letters: %+v", out.DeadLetters)
	}
}
