// Package native is the native backend: it declares what this project's Go
// streaming runtime (runtime/native, runtime/worker) can host and what it
// costs. Native is always available and hosts every operator, within its
// state budget and the partition ceiling. Its backend block takes
// instances (how many partition groups a worker process runs at once,
// runtime/worker.Parallelism) and state_budget (read by the optimizer).
//
// It must not know about the other backends, HCL documents or the CLI.
package native
