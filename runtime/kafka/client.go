package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/pipeline-compiler/pipeline/ir"
)

// SASL mechanism names as written in a spec's sasl block.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// ClientOptions returns the franz-go options that connect to b: seed
// brokers, SASL and TLS. A nil b is an error: the caller decides what
// "no broker block" means (usually the embedded broker, whose addresses it
// passes with kgo.SeedBrokers instead).
func ClientOptions(b *ir.Broker) ([]kgo.Opt, error) {
	if b == nil {
		return nil, fmt.Errorf("kafka client options: no broker")
	}
	if len(b.Brokers) == 0 {
		return nil, fmt.Errorf("kafka client options: broker %q has no brokers", b.Name)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(b.Brokers...)}
	if b.SASL != nil {
		m, err := saslMechanism(b.SASL)
		if err != nil {
			return nil, fmt.Errorf("broker %q: %w", b.Name, err)
		}
		opts = append(opts, kgo.SASL(m))
	}
	if b.TLS != nil && b.TLS.Enabled {
		cfg, err := TLSConfig(b.TLS)
		if err != nil {
			return nil, fmt.Errorf("broker %q: %w", b.Name, err)
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	return opts, nil
}

func saslMechanism(s *ir.SASL) (sasl.Mechanism, error) {
	switch strings.ToUpper(s.Mechanism) {
	case MechanismPlain:
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism(), nil
	case MechanismScramSHA256:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism(), nil
	case MechanismScramSHA512:
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism(), nil
	default:
		return nil, fmt.Errorf("sasl mechanism %q: want %s, %s or %s", s.Mechanism, MechanismPlain, MechanismScramSHA256, MechanismScramSHA512)
	}
}

// TLSConfig builds a client TLS configuration: the system roots plus an
// optional CA file, and an optional client certificate for mutual TLS.
func TLSConfig(t *ir.TLS) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // the spec asked for it explicitly
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("tls: cert_file and key_file must be set together")
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
