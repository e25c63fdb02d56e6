package main

import (
	"context"
	"errors"
	"testing"
)

func TestDoneError(t *testing.T) {
	failed := errors.New("job failed: DoFn panicked")
	for _, tc := range []struct {
		name             string
		waitErr, stopped error
		want             string
	}{
		{"finished", nil, nil, ""},
		{"finished as the stop came", nil, context.Canceled, ""},
		{"failed", failed, nil, "job failed: DoFn panicked"},
		{"cut short by a signal", context.Canceled, context.Canceled, "pipeline-beam was stopped before the job finished"},
	} {
		if got := doneError(tc.waitErr, tc.stopped); got != tc.want {
			t.Errorf("%s: doneError = %q, want %q", tc.name, got, tc.want)
		}
	}
}
