// Command kfake-broker runs the embedded Kafka-protocol broker as its own
// process, so that end-to-end and crash tests can kill workers without
// killing the broker. It prints the broker's address on the first line of
// standard output and runs until interrupted.
//
// Usage:
//
//	kfake-broker [-port N] [-partitions N] [-min-session-timeout D] [-data-dir DIR]
package main
