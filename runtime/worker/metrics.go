package worker

import (
	"net/http"
	"sync"

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
	operators   *operatorCollector
	version     *prometheus.GaugeVec
	stateResets *prometheus.CounterVec
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
		stateResets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pipeline_state_resets_total",
			Help: "Partition groups started with empty state because no checkpoint matched their committed offsets (ResetState, -reset-state).",
		}, []string{"pipeline", "stage"}),
	}
	m.operators = newOperatorCollector()
	m.version = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "pipeline_plan_version",
		Help: "The plan version (apply's state serial) a worker's stages of a pipeline run.",
	}, []string{"pipeline"})
	m.reg.MustRegister(m.recordsIn, m.recordsOut, m.deadLetters, m.lag, m.checkpoint, m.commits, m.operators, m.version, m.stateResets,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// SetPlanVersion records the plan version the worker runs for pipeline;
// 0 removes the series (the pipeline was destroyed). A nil Metrics
// records nothing.
func (m *Metrics) SetPlanVersion(pipeline string, version int64) {
	if m == nil {
		return
	}
	if version == 0 {
		m.version.DeleteLabelValues(pipeline)
		return
	}
	m.version.WithLabelValues(pipeline).Set(float64(version))
}

// Registry returns the registry the metrics are registered in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format, for
// `pipeline apply -metrics-addr`.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// operatorCollector exports the per-operator records in and out of the
// running native stages, read from their stateless.Counters at scrape time
// (so the record path pays one atomic add, not a Prometheus lookup).
type operatorCollector struct {
	in, out   *prometheus.Desc
	watermark *prometheus.Desc

	mu     sync.Mutex
	stages map[*stageRunner]bool
}

func newOperatorCollector() *operatorCollector {
	labels := []string{"pipeline", "stage", "operator"}
	return &operatorCollector{
		in:  prometheus.NewDesc("pipeline_operator_records_in_total", "Records an operator of a native stage received (a source: read, before decoding).", labels, nil),
		out: prometheus.NewDesc("pipeline_operator_records_out_total", "Records an operator of a native stage emitted (a sink: wrote; a route: over all outputs).", labels, nil),
		watermark: prometheus.NewDesc("pipeline_watermark_seconds", "A native stage's event-time watermark (the least over its partition groups in this process), in Unix seconds; absent until every group has seen event time.",
			[]string{"pipeline", "stage"}, nil),
		stages: map[*stageRunner]bool{},
	}
}

// track exports r's operators until the returned function is called.
func (o *operatorCollector) track(r *stageRunner) (untrack func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stages[r] = true
	return func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		delete(o.stages, r)
	}
}

func (o *operatorCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.in
	ch <- o.out
	ch <- o.watermark
}

func (o *operatorCollector) Collect(ch chan<- prometheus.Metric) {
	type series struct{ pipeline, stage, operator string }
	sums := map[series][2]int64{} // one series each, even if two runs of a stage share the registry
	wms := map[series]int64{}
	o.mu.Lock()
	for r := range o.stages {
		p := r.progress()
		if p.HasWatermark {
			k := series{pipeline: r.pipeline, stage: r.stage.ID}
			if wm, ok := wms[k]; !ok || p.WatermarkMs < wm {
				wms[k] = p.WatermarkMs
			}
		}
		for _, op := range p.Operators {
			k := series{r.pipeline, r.stage.ID, op.Operator}
			v := sums[k]
			sums[k] = [2]int64{v[0] + op.RecordsIn, v[1] + op.RecordsOut}
		}
	}
	o.mu.Unlock()
	for k, v := range sums {
		ch <- prometheus.MustNewConstMetric(o.in, prometheus.CounterValue, float64(v[0]), k.pipeline, k.stage, k.operator)
		ch <- prometheus.MustNewConstMetric(o.out, prometheus.CounterValue, float64(v[1]), k.pipeline, k.stage, k.operator)
	}
	for k, wm := range wms {
		ch <- prometheus.MustNewConstMetric(o.watermark, prometheus.GaugeValue, float64(wm)/1000, k.pipeline, k.stage)
	}
}
