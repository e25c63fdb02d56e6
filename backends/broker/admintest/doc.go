// Package admintest is a fake Redpanda Admin API for tests: an httptest
// server that serves the three data-transform endpoints pipeline uses
// (deploy, list, delete), checks every request exactly as Redpanda's
// admin API documents it (src/v/redpanda/admin/api-doc/transform.json and
// the broker's deploy handler), and keeps the deployed transforms in
// memory. A request that breaks the documented format fails the test and
// gets the 400 Redpanda would answer.
//
// It is not a Redpanda: it runs no module. It must not know about the CLI.
package admintest
