package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addrs   []string
}

// Option configures Start.
type Option func(*config)

type config struct {
	port       int
	partitions int
	minSession time.Duration
	dataDir    string
	logger     *slog.Logger
}

// Port listens on 127.0.0.1:port instead of a random free port.
func Port(port int) Option { return func(c *config) { c.port = port } }

// Partitions sets the partition count of topics created without an explicit
// count (default 1, which keeps the order of a file loaded into a topic).
func Partitions(n int) Option { return func(c *config) { c.partitions = n } }

// GroupMinSessionTimeout sets the smallest consumer-group session timeout the
// broker accepts (default 1s instead of Kafka's 6s), so that a worker that
// restarts after a crash rejoins its group quickly.
func GroupMinSessionTimeout(d time.Duration) Option {
	return func(c *config) { c.minSession = d }
}

// DataDir persists the broker's log in dir, so that topics survive a
// restart (default: memory only).
func DataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// Logger receives the broker's warnings and errors (default: discarded).
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Start starts a single-node broker listening on 127.0.0.1. It runs until
// Close; ctx only bounds the start-up.
func Start(ctx context.Context, opts ...Option) (*Broker, error) {
	cfg := config{partitions: 1, minSession: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(cfg.partitions),
		kfake.GroupMinSessionTimeout(cfg.minSession),
		kfake.AllowAutoTopicCreation(),
	}
	if cfg.port != 0 {
		kopts = append(kopts, kfake.Ports(cfg.port))
	}
	if cfg.dataDir != "" {
		kopts = append(kopts, kfake.DataDir(cfg.dataDir))
	}
	if cfg.logger != nil {
		kopts = append(kopts, kfake.WithLogger(slogLogger{cfg.logger}))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	return &Broker{cluster: c, addrs: c.ListenAddrs()}, nil
}

// Addrs returns the host:port seed addresses of the broker.
func (b *Broker) Addrs() []string { return append([]string(nil), b.addrs...) }

// Close stops the broker. Clients still connected see their connections
// closed.
func (b *Broker) Close() { b.cluster.Close() }

// slogLogger adapts slog to kfake's Logger, passing warnings and errors only:
// kfake's debug and info output is per request.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	switch level {
	case kfake.LogLevelError:
		s.l.Error(fmt.Sprintf(msg, args...), "component", "embedded-broker")
	case kfake.LogLevelWarn:
		s.l.Warn(fmt.Sprintf(msg, args...), "component", "embedded-broker")
	}
}
