// Package jsonschemaapi is the JSON Schema compiler ir/eval's json_schema
// codec uses: santhosh-tekuri/jsonschema/v6 in ordinary builds,
// ir/eval/internal/jsonschemalite in the broker module (GOOS=wasip1),
// where santhosh-tekuri with golang.org/x/text does not fit Redpanda's
// 10 MiB binary limit. Build with -tags jsonschemalite to run ir/eval's
// JSON Schema tests on the module's validator natively.
package jsonschemaapi
