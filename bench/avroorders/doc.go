// Package avroorders measures issue 12's Avro target in process: the peer
// benchmark's filter + project job (bench/spec) on the one stateless core,
// fed the same orders as JSON and as framed Avro. It holds only a
// benchmark and its test.
package avroorders
