package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

func main() {
	port := flag.Int("port", 0, "port to listen on at 127.0.0.1 (0: a free port)")
	partitions := flag.Int("partitions", 1, "partitions of topics created without a count")
	minSession := flag.Duration("min-session-timeout", time.Second, "smallest consumer-group session timeout accepted")
	dataDir := flag.String("data-dir", "", "persist the log in this directory (default: memory)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	b, err := embedded.Start(ctx,
		embedded.Port(*port),
		embedded.Partitions(*partitions),
		embedded.GroupMinSessionTimeout(*minSession),
		embedded.DataDir(*dataDir),
		embedded.Logger(logger),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake-broker:", err)
		os.Exit(1)
	}
	fmt.Println(strings.Join(b.Addrs(), ","))
	<-ctx.Done()
	b.Close()
}
