//go:build wasip1

// Command lognorm is examples/lognorm written by hand, as a Redpanda user
// would write it without this project: the transform SDK v1.1.0 and
// encoding/json into a struct. It is the baseline the generated module is
// measured against (see ../handwritten_test.go); it is not part of the
// product.
package main

import (
	"encoding/json"
	"strings"

	"github.com/redpanda-data/redpanda/src/transform-sdk/go/transform"
)

// logLine is a raw log record; every field may be null or missing.
type logLine struct {
	Level   *string `json:"level"`
	Msg     *string `json:"msg"`
	Service *string `json:"service"`
	TS      *string `json:"ts"`
	Host    *string `json:"host"`
}

// normalized is the output record. Its fields are in the order the
// pipeline writes them (attribute names sorted), so the outputs compare
// byte for byte.
type normalized struct {
	Host    string  `json:"host"`
	Level   string  `json:"level"`
	Msg     string  `json:"msg"`
	Service string  `json:"service"`
	TS      *string `json:"ts"`
}

var levelAliases = map[string]string{
	"fatal": "ERROR", "critical": "ERROR", "error": "ERROR", "err": "ERROR",
	"warning": "WARN", "warn": "WARN",
	"info": "INFO", "notice": "INFO",
}

var routes = map[string]string{
	"ERROR": "logs-errors",
	"WARN":  "logs-warnings",
	"INFO":  "logs-info",
}

func main() {
	transform.OnRecordWritten(onRecord)
}

func onRecord(e transform.WriteEvent, w transform.RecordWriter) error {
	var in logLine
	if err := json.Unmarshal(e.Record().Value, &in); err != nil {
		return nil // drop what does not parse
	}
	level := strings.TrimSpace(or(in.Level, "info"))
	lower := strings.ToLower(level)
	if lower == "debug" || lower == "trace" {
		return nil
	}
	out := normalized{
		TS:      in.TS,
		Level:   strings.ToUpper(level),
		Service: strings.ToLower(strings.TrimSpace(or(in.Service, "unknown"))),
		Host:    strings.ToLower(strings.TrimSpace(or(in.Host, "unknown"))),
		Msg:     strings.TrimSpace(or(in.Msg, "")),
	}
	if canonical, ok := levelAliases[lower]; ok {
		out.Level = canonical
	}
	value, err := json.Marshal(out)
	if err != nil {
		return err
	}
	topic, ok := routes[out.Level]
	if !ok {
		topic = "logs-unclassified"
	}
	return w.Write(transform.Record{Key: []byte(out.Service), Value: value}, transform.ToTopic(topic))
}

func or(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}
