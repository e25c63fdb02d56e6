package embedded

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Start(ctx, Partitions(4))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addrs := b.Addrs()
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "127.0.0.1:") {
		t.Fatalf("Addrs() = %v, want one loopback address", addrs)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, -1, -1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	d, err := adm.ListTopics(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(d["t"].Partitions); got != 4 {
		t.Errorf("default partitions = %d, want 4", got)
	}
}

func TestStartOnPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	b, err := Start(context.Background(), Port(port))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, want := b.Addrs()[0], l.Addr().String(); got != want {
		t.Errorf("Addrs()[0] = %s, want %s", got, want)
	}
	// A second broker on the same port must fail, not panic.
	if b2, err := Start(context.Background(), Port(port)); err == nil {
		b2.Close()
		t.Error("second Start on a used port succeeded")
	}
}
