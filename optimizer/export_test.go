package optimizer

// TestBackends declares the test fixture's backends for the external tests
// (package optimizer_test).
var TestBackends Option = testBackends
