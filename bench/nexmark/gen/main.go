// Command gen writes Nexmark events as JSON lines: DIR/person.jsonl,
// DIR/auction.jsonl and DIR/bid.jsonl (and q13's DIR/side_input.jsonl), or produces them to the topics
// <prefix>person, <prefix>auction and <prefix>bid of a Kafka cluster.
//
//	go run ./bench/nexmark/gen -events 1000000 -out bench/nexmark/data
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/generator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	events := flag.Int64("events", 1000000, "number of events (persons, auctions and bids together)")
	seed := flag.Uint64("seed", 1, "random seed")
	rate := flag.Float64("rate", 10000, "events per second of event time")
	start := flag.String("start", generator.DefaultStart.Format(time.RFC3339), "event time of the first event (RFC 3339)")
	out := flag.String("out", "", "directory to write person.jsonl, auction.jsonl and bid.jsonl to")
	brokers := flag.String("brokers", "", "comma-separated Kafka brokers to produce to instead of files")
	prefix := flag.String("topic-prefix", "nexmark-", "topic name prefix with -brokers")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if (*out == "") == (*brokers == "") {
		return errors.New("give exactly one of -out DIR and -brokers HOST:PORT")
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	cfg := generator.Config{Events: *events, Seed: *seed, Rate: *rate, Start: t0}
	if *brokers != "" {
		return produce(cfg, strings.Split(*brokers, ","), *prefix)
	}
	if err := writeFiles(cfg, *out); err != nil {
		return err
	}
	return writeSideInput(*out)
}

// SideInputRows is the size of q13's side input: one row per value of
// auction % 10000.
const SideInputRows = 10000

// writeSideInput writes q13's bounded side input, DIR/side_input.jsonl:
// {"key": i, "value": "i"} for i in [0, SideInputRows).
func writeSideInput(dir string) error {
	var b []byte
	for i := range SideInputRows {
		b = fmt.Appendf(b, "{\"key\":%d,\"value\":\"%d\"}\n", i, i)
	}
	return os.WriteFile(filepath.Join(dir, "side_input.jsonl"), b, 0o644)
}

var names = [...]string{generator.KindPerson: "person", generator.KindAuction: "auction", generator.KindBid: "bid"}

func encode(b []byte, e *generator.Event) []byte {
	switch e.Kind {
	case generator.KindPerson:
		return generator.AppendPerson(b, &e.Person)
	case generator.KindAuction:
		return generator.AppendAuction(b, &e.Auction)
	default:
		return generator.AppendBid(b, &e.Bid)
	}
}

func writeFiles(cfg generator.Config, dir string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var ws [len(names)]*bufio.Writer
	for k, n := range names {
		f, err := os.Create(filepath.Join(dir, n+".jsonl"))
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		ws[k] = bufio.NewWriterSize(f, 1<<20)
	}
	g := generator.New(cfg)
	var b []byte
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		b = append(encode(b[:0], &e), '\n')
		if _, err := ws[e.Kind].Write(b); err != nil {
			return err
		}
	}
	for _, w := range ws {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func produce(cfg generator.Config, brokers []string, prefix string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.AllowAutoTopicCreation())
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	ctx := context.Background()
	g := generator.New(cfg)
	var firstErr error
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		rec := &kgo.Record{Topic: prefix + names[e.Kind], Value: encode(nil, &e)}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if firstErr != nil {
		return fmt.Errorf("produce: %w", firstErr)
	}
	return nil
}
