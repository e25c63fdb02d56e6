// Package avrolite parses Avro schema documents into a schema tree with
// the subset of github.com/hamba/avro/v2's API that ir/eval's Avro codec
// walks (Schema, RecordSchema, Field, UnionSchema, RefSchema, logical
// types, ParseWithCache), using encoding/json only.
//
// It exists for the broker module (GOOS=wasip1): hamba/avro and its
// dependencies would take the module past Redpanda's 10 MiB binary limit,
// and the module only needs to read a schema the planner has already
// validated with hamba/avro. So it checks little beyond what building the
// tree needs; ir/eval/internal/avroschema picks it or hamba/avro per build.
package avrolite
