package worker

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the worker's Prometheus metrics, in a registry of their own
// (never the global default registry, so that tests and several workers in
// one process do not collide).
type Metrics struct {
	reg         *prometheus.Registry
	recordsIn   *prometheus.CounterVec
	recordsOut  *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	lag         *prometheus.GaugeVec
	checkpoint  *prometheus.HistogramVec
	commits     *prometheus.CounterVec
}

// NewMetrics creates the metrics and their registry, including the Go
// runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		recordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipeline_records_in_total",
			Help: "Records read by a native stage, per input stream.",
		}, []string{"pipeline", "stage", "stream"}),
		recordsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipeline_records_out_total",
			Help: "Records written by a native stage, per sink or channel.",
		}, []string{"pipeline", "stage", "target"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipeline_dead_letters_total",
			Help: "Records sent to the dead-letter topic, per operator and reason.",
		}, []string{"pipeline", "stage", "operator", "reason"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pipeline_consumer_lag_records",
			Help: "High watermark minus the next offset to process, per input partition.",
		}, []string{"pipeline", "stage", "topic", "partition"}),
		checkpoint: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pipeline_checkpoint_duration_seconds",
			Help:    "Time to checkpoint the engines of a stage before a commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"pipeline", "stage"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipeline_commits_total",
			Help: "Offset or transaction commits, by result (committed, aborted).",
		}, []string{"pipeline", "stage", "result"}),
	}
	m.reg.MustRegister(m.recordsIn, m.recordsOut, m.deadLetters, m.lag, m.checkpoint, m.commits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry the metrics are registered in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format, for
// `pipeline apply -metrics-addr`.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
