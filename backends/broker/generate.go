package broker

// module.wasm is rebuilt by the test that checks it is fresh, so that the
// build flags live in one place (module_test.go):
//
//go:generate go test -run ^TestModuleUpToDate$ -update-module .
