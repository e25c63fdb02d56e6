package beam

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/pipeline-compiler/pipeline/runtime/files"
)

func init() {
	register.Function1x2(partitionLine)
	register.DoFn2x1[string, func(*[]byte) bool, error](&writePartitionFn{})
	register.Iter1[[]byte]()
}

// writePartitioned writes a partitioned file sink (ir.Sink.PartitionBy)
// as native's worker does: each record to files.PartitionPath(file, its
// Record.PartitionDir), so the Hive-style layout and the file names are
// the same on both backends. The records are grouped by directory and
// each directory's file is written whole by one call, which creates it
// (and its parents) or truncates it: a retried bundle rewrites the file
// rather than appending to it. Like textio.Write for an unpartitioned
// sink, it writes when the input's global window ends: at the end of a
// bounded input.
func writePartitioned(s beam.Scope, file string, col beam.PCollection) {
	s = s.Scope("partitioned files")
	byDir := beam.GroupByKey(s, beam.ParDo(s, partitionLine, col))
	beam.ParDo0(s, &writePartitionFn{File: file}, byDir)
}

// partitionLine keys a sink record by its partition directory.
func partitionLine(r Record) (string, []byte) { return r.PartitionDir, r.Value }

// writePartitionFn writes one partition directory's records to its file.
type writePartitionFn struct {
	File string // the sink's file setting
}

func (f *writePartitionFn) ProcessElement(dir string, lines func(*[]byte) bool) error {
	path := files.PartitionPath(f.File, dir)
	out, err := files.Create(path)
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	var line []byte
	for lines(&line) {
		if err := out.Write(line); err != nil {
			out.Close()
			return fmt.Errorf("beam: %w", err)
		}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	return nil
}
