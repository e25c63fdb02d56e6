package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/files"
)

// LoadFile produces every line of the JSON-lines file at path as one record
// of topic (no key, timestamp now), in file order, and waits until all are
// acknowledged. `pipeline apply` uses it to put a file source into the
// embedded broker when the source's consumers run on a backend that reads
// topics only. It returns the number of records produced.
func LoadFile(ctx context.Context, cl *kgo.Client, path, topic string) (int64, error) {
	src, err := files.Open(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()

	var (
		mu       sync.Mutex
		firstErr error
		n        int64
	)
	done := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: line.Value}, done)
		n++
	}
	if err := cl.Flush(ctx); err != nil {
		return n, fmt.Errorf("load %s into %s: %w", path, topic, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return n, fmt.Errorf("load %s into %s: %w", path, topic, firstErr)
	}
	return n, nil
}
