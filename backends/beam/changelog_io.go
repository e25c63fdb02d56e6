package beam

import (
	"bufio"
	"fmt"
	"os"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// Changelogs at the edges of a deployed stage (KafkaIO): a channel
// carries each record's row kind in the pipeline.row_kind header, as
// native's channels do (runtime/worker), and an upsert file sink is
// written in the order its keys emitted their changes.

func init() {
	register.DoFn2x1[int, func(*Record) bool, error](&changelogFileFn{})
	register.Iter1[Record]()
}

// rowKindHeader is the pipeline.row_kind header of a changelog record
// (none for an insert, as native writes it).
func rowKindHeader(kind uint8) []kafkaio.Header {
	if kind == 0 {
		return nil
	}
	return []kafkaio.Header{{Key: record.HeaderRowKind, Value: []byte{'0' + kind}}}
}

// rowKindOf is a channel record's row kind (pipeline.row_kind), 0
// (insert) without one.
func rowKindOf(r kafkaio.Record) uint8 {
	for _, h := range r.Headers {
		if h.Key == record.HeaderRowKind && len(h.Value) == 1 && h.Value[0] >= '0' && h.Value[0] <= '3' {
			return h.Value[0] - '0'
		}
	}
	return 0
}

// writeChangelogFile writes an upsert file sink: readers apply its lines
// in order, so a key's changes must be written in the order it emitted
// them (recordOrder), which Beam's text sink does not keep. The records
// are gathered under one key and written, sorted, by one DoFn. A file
// sink is written at the end of a bounded input, as textio writes one.
func writeChangelogFile(s beam.Scope, path string, col beam.PCollection) {
	beam.ParDo0(s, &changelogFileFn{Path: path}, beam.GroupByKey(s, beam.AddFixedKey(s, col)))
}

type changelogFileFn struct{ Path string }

func (f *changelogFileFn) ProcessElement(_ int, recs func(*Record) bool) error {
	var all []Record
	var r Record
	for recs(&r) {
		all = append(all, r)
	}
	slices.SortStableFunc(all, recordOrder)
	file, err := os.Create(f.Path)
	if err != nil {
		return fmt.Errorf("beam: write %s: %w", f.Path, err)
	}
	w := bufio.NewWriterSize(file, 1<<16)
	for _, r := range all {
		w.Write(r.Value)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return fmt.Errorf("beam: write %s: %w", f.Path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("beam: write %s: %w", f.Path, err)
	}
	return nil
}
