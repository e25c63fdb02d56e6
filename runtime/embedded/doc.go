// Package embedded starts an in-process Kafka-protocol broker (franz-go's
// kfake) on loopback, for `pipeline apply` without a broker block and for
// tests.
//
// It owns the broker's lifetime and its listen addresses. It must not know
// about pipelines, plans or HCL: callers create topics and load data through
// runtime/kafka.
package embedded
