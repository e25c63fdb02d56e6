// Package schemareg is the Schema Registry client of the CLI (schemas
// pull, plan's staleness check, apply's registration), on franz-go's
// pkg/sr. It speaks the Confluent REST API that Confluent, Redpanda,
// Apicurio (ccompat) and Karapace serve. Nothing else contacts a registry:
// validate, plan and test read the lock file.
package schemareg

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/twmb/franz-go/pkg/sr"
)

// MaxOtherVersions bounds how many older versions of a source's subject
// Pull pins (the newest ones), as writer schemas for framed records.
const MaxOtherVersions = 20

// Client talks to one schema_registry block's registry.
type Client struct {
	name string
	cl   *sr.Client
}

// New returns a client for r. timeout bounds each request (0: 30s).
func New(r *ir.SchemaRegistry, timeout time.Duration) (*Client, error) {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	httpcl := &http.Client{Timeout: timeout}
	if r.TLS != nil && r.TLS.Enabled {
		cfg, err := tlsConfig(r.TLS)
		if err != nil {
			return nil, fmt.Errorf("schema_registry %q: %w", r.Name, err)
		}
		httpcl.Transport = &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}
	}
	opts := []sr.ClientOpt{sr.URLs(r.URL), sr.HTTPClient(httpcl), sr.UserAgent("pipeline")}
	switch {
	case r.Token != "":
		opts = append(opts, sr.BearerToken(r.Token))
	case r.Username != "":
		opts = append(opts, sr.BasicAuth(r.Username, r.Password))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema_registry %q: %w", r.Name, err)
	}
	return &Client{name: r.Name, cl: cl}, nil
}

func tlsConfig(t *ir.TLS) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // the user's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates", t.CAFile)
		}
		cfg.RootCAs = pool
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

// FormatOf maps a registry schema type to a format name.
func FormatOf(t sr.SchemaType) string {
	switch t {
	case sr.TypeProtobuf:
		return "protobuf"
	case sr.TypeJSON:
		return "json_schema"
	}
	return "avro"
}

// TypeOf maps a format name to a registry schema type.
func TypeOf(format string) (sr.SchemaType, error) {
	switch format {
	case "avro":
		return sr.TypeAvro, nil
	case "protobuf":
		return sr.TypeProtobuf, nil
	case "json_schema":
		return sr.TypeJSON, nil
	}
	return 0, fmt.Errorf("format %q has no registry schema type", format)
}

// notFound reports a 404 (subject, version or schema not found).
func notFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// Compatibility returns subject's compatibility level, falling back to the
// registry's global level, then BACKWARD (the registries' default).
func (c *Client) Compatibility(ctx context.Context, subject string) (string, error) {
	res := c.cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), subject)
	if len(res) == 1 && res[0].Err == nil {
		return res[0].Level.String(), nil
	}
	if len(res) == 1 && !notFound(res[0].Err) {
		return "", fmt.Errorf("schema_registry %q: compatibility of %s: %w", c.name, subject, res[0].Err)
	}
	global := c.cl.Compatibility(ctx)
	if len(global) == 1 && global[0].Err == nil {
		return global[0].Level.String(), nil
	}
	return "BACKWARD", nil
}

// Version returns subject's version v (-1: the latest), or nil when the
// subject or version does not exist.
func (c *Client) Version(ctx context.Context, subject string, v int) (*ir.SchemaDoc, error) {
	ss, err := c.cl.SchemaByVersion(ctx, subject, v)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("schema_registry %q: %s version %d: %w", c.name, subject, v, err)
	}
	return c.docOf(ctx, ss)
}

// docOf converts a registry schema, fetching the texts of its references.
func (c *Client) docOf(ctx context.Context, ss sr.SubjectSchema) (*ir.SchemaDoc, error) {
	doc := &ir.SchemaDoc{Format: FormatOf(ss.Type), Text: ss.Schema.Schema, Subject: ss.Subject, Version: ss.Version, ID: ss.ID}
	for _, ref := range ss.References {
		rs, err := c.cl.SchemaByVersion(ctx, ref.Subject, ref.Version)
		if err != nil {
			return nil, fmt.Errorf("schema_registry %q: reference %s (%s version %d): %w", c.name, ref.Name, ref.Subject, ref.Version, err)
		}
		if doc.References == nil {
			doc.References = map[string]string{}
		}
		doc.References[ref.Name] = rs.Schema.Schema
	}
	return doc, nil
}

// SchemaByID returns the schema registered under id.
func (c *Client) SchemaByID(ctx context.Context, id int) (*ir.SchemaDoc, error) {
	s, err := c.cl.SchemaByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("schema_registry %q: schema ID %d: %w", c.name, id, err)
	}
	return c.docOf(ctx, sr.SubjectSchema{ID: id, Schema: s})
}

// Pull returns subject's pin: its compatibility level, its latest version
// (nil for a subject that does not exist yet), and when others is set the
// newest MaxOtherVersions other versions. A subject at a _TRANSITIVE level
// pins all its versions, which plan checks a sink's schema against.
func (c *Client) Pull(ctx context.Context, subject string, others bool) (*schemalock.Subject, error) {
	level, err := c.Compatibility(ctx, subject)
	if err != nil {
		return nil, err
	}
	pin := &schemalock.Subject{Compatibility: level}
	pin.Latest, err = c.Version(ctx, subject, -1)
	transitive := strings.HasSuffix(level, "_TRANSITIVE")
	if err != nil || pin.Latest == nil || (!others && !transitive) {
		return pin, err
	}
	limit := MaxOtherVersions
	if transitive {
		limit = -1
	}
	versions, err := c.cl.SubjectVersions(ctx, subject)
	if err != nil {
		return nil, fmt.Errorf("schema_registry %q: versions of %s: %w", c.name, subject, err)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(versions)))
	for _, v := range versions {
		if v == pin.Latest.Version {
			continue
		}
		if len(pin.Versions) == limit {
			break
		}
		doc, err := c.Version(ctx, subject, v)
		if err != nil {
			return nil, err
		}
		if doc != nil {
			pin.Versions = append(pin.Versions, doc)
		}
	}
	return pin, nil
}

// Register registers doc under subject, or finds it when that exact schema
// is already registered, and returns it with its ID and version.
func (c *Client) Register(ctx context.Context, subject string, doc *ir.SchemaDoc) (*ir.SchemaDoc, error) {
	t, err := TypeOf(doc.Format)
	if err != nil {
		return nil, err
	}
	if len(doc.References) > 0 {
		return nil, fmt.Errorf("schema_registry %q: registering a schema with references is not supported", c.name)
	}
	s := sr.Schema{Schema: doc.Text, Type: t}
	if _, err := c.cl.RegisterSchema(ctx, subject, s, -1, -1); err != nil {
		return nil, fmt.Errorf("schema_registry %q: register %s: %w", c.name, subject, err)
	}
	ss, err := c.cl.LookupSchema(ctx, subject, s)
	if err != nil {
		return nil, fmt.Errorf("schema_registry %q: look up %s: %w", c.name, subject, err)
	}
	out := *doc
	out.Subject, out.Version, out.ID = subject, ss.Version, ss.ID
	return &out, nil
}
