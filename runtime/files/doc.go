// Package files reads and writes JSON-lines files: the bounded file sources
// and the file sinks of a pipeline.
//
// It owns line framing only (one record per line, any line length up to a
// limit past which a line is skipped in bounded memory) and must
// not know about JSON schemas, operators or Kafka.
package files
