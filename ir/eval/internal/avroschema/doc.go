// Package avroschema is the Avro schema tree ir/eval's codec walks: hamba/avro's
// in ordinary builds, ir/eval/internal/avrolite's in the broker module
// (GOOS=wasip1), where hamba/avro does not fit Redpanda's 10 MiB binary
// limit. Build with -tags avrolite to run ir/eval's Avro tests on the
// module's parser natively.
package avroschema
