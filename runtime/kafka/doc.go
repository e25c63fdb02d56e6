// Package kafka holds the Kafka-protocol plumbing the native runtime and
// `pipeline apply` share: franz-go client options from an ir.Broker (SASL,
// TLS), topic creation, and loading a JSON-lines file into a topic.
//
// It must not know about operators or the engine: it moves bytes between
// files, topics and brokers.
package kafka
