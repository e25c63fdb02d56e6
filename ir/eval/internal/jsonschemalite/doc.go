// Package jsonschemalite is the JSON Schema validator of the broker's
// WebAssembly module: the subset of santhosh-tekuri/jsonschema/v6's API
// that ir/eval's json_schema codec uses, implemented for exactly the
// keywords the project's type mapping reads, in a few hundred lines on
// encoding/json and math/big (both already in the module).
// santhosh-tekuri/jsonschema, with golang.org/x/text/message for its
// messages, takes the module past Redpanda's 10 MiB binary limit.
//
// Supported (drafts 4, 6, 7, 2019-09 and 2020-12, chosen by "$schema" as
// santhosh-tekuri does, 2020-12 when absent): boolean schemas, type, enum,
// const (draft 6 on), required, properties, additionalProperties, items as
// one schema, uniqueItems, allOf, anyOf, oneOf, $ref (to "#" JSON pointers and to other
// registered documents; in drafts before 2019-09 a $ref's siblings are
// ignored, as the drafts say), definitions and $defs as $ref targets,
// format date-time, date, time and uuid (asserted before 2019-09, as
// santhosh-tekuri asserts them), and annotations (title, description,
// default, examples, ...). Keywords outside the subset that change what
// validates (pattern, minimum, if, patternProperties, $anchor, a nested
// $id, the formats santhosh-tekuri asserts that are not listed above, ...)
// make Compile fail with an *UnsupportedError, so a schema is either
// validated exactly as on native or not run in the module at all: the
// broker backend asks Supports at plan time and leaves such a stage on
// native.
//
// Decisions and messages follow santhosh-tekuri: a document is accepted
// or rejected identically (ir/eval's differential test checks a table of
// schemas and documents against both), and the first error's instance
// location and message are the ones santhosh-tekuri's first cause has
// when one rule fails. Objects are checked in sorted key order, where
// santhosh-tekuri follows Go's map order, so with several failing
// properties the reported one may differ.
//
// ir/eval/internal/jsonschemaapi picks this package in GOOS=wasip1 builds
// and with -tags jsonschemalite.
package jsonschemalite
