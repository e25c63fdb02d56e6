package broker

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Admin API paths, as Redpanda's admin API documents them
// (src/v/redpanda/admin/api-doc/transform.json).
const (
	deployPath     = "/v1/transform/deploy"
	transformsPath = "/v1/transform"
)

// deployContentType is the media type the admin API documents for a deploy
// request: the JSON metadata immediately followed by the WebAssembly binary.
// (rpk sends application/json; the broker reads the body the same way
// whatever the header says.)
const deployContentType = "application/json+wasm"

// DefaultAdminTimeout bounds one admin API request when no timeout is
// configured: long enough to upload a few megabytes of module.
const DefaultAdminTimeout = 30 * time.Second

// maxErrorBody caps how much of an error response is read and quoted.
const maxErrorBody = 4 << 10

// AdminClient talks to a Redpanda cluster's Admin API to deploy, list and
// delete data transforms. It is safe for concurrent use.
type AdminClient struct {
	base *url.URL
	http *http.Client
	auth func(*http.Request)
}

// AdminOption configures an AdminClient.
type AdminOption func(*adminConfig)

type adminConfig struct {
	timeout  time.Duration
	tls      *tls.Config
	client   *http.Client
	username string
	password string
	token    string
}

// WithTimeout bounds every request (DefaultAdminTimeout otherwise). The
// context passed to each call can end it sooner.
func WithTimeout(d time.Duration) AdminOption { return func(c *adminConfig) { c.timeout = d } }

// WithTLS sets the TLS configuration for an https admin URL.
func WithTLS(cfg *tls.Config) AdminOption { return func(c *adminConfig) { c.tls = cfg } }

// WithBasicAuth authenticates every request with HTTP basic auth (a
// SASL/SCRAM user of the cluster, as rpk does).
func WithBasicAuth(username, password string) AdminOption {
	return func(c *adminConfig) { c.username, c.password = username, password }
}

// WithBearerToken authenticates every request with an OIDC bearer token.
func WithBearerToken(token string) AdminOption { return func(c *adminConfig) { c.token = token } }

// WithHTTPClient uses client for the requests instead of one built from the
// timeout and TLS options (tests use it to reach an httptest server).
func WithHTTPClient(client *http.Client) AdminOption {
	return func(c *adminConfig) { c.client = client }
}

// NewAdminClient returns a client for the Admin API at baseURL, for example
// "http://localhost:9644". The URL must not carry credentials or a query.
func NewAdminClient(baseURL string, opts ...AdminOption) (*AdminClient, error) {
	u, err := parseAdminURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg := adminConfig{timeout: DefaultAdminTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	hc := cfg.client
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = cfg.tls
		hc = &http.Client{Transport: tr, Timeout: cfg.timeout}
	}
	c := &AdminClient{base: u, http: hc, auth: func(*http.Request) {}}
	switch {
	case cfg.token != "":
		token := cfg.token
		c.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
	case cfg.username != "":
		user, pass := cfg.username, cfg.password
		c.auth = func(r *http.Request) { r.SetBasicAuth(user, pass) }
	}
	return c, nil
}

// parseAdminURL checks an admin API base URL: http or https, a host, no
// user info (credentials go in their own attributes, which are redacted),
// no query or fragment.
func parseAdminURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("admin URL %q: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("admin URL %q: the scheme must be http or https", s)
	case u.Host == "":
		return nil, fmt.Errorf("admin URL %q: no host", s)
	case u.User != nil:
		return nil, fmt.Errorf("admin URL: credentials in the URL are not allowed; use admin_username and admin_password")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("admin URL %q: a query or fragment is not allowed", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// URL returns the admin API base URL the client talks to.
func (c *AdminClient) URL() string { return c.base.String() }

// TransformMetadata is what a deploy request says about a transform.
type TransformMetadata struct {
	Name         string
	InputTopic   string
	OutputTopics []string
	Environment  map[string]string
	// From is where the transform starts reading its input when first
	// deployed (nil: where Redpanda starts it). Redpanda ignores it when
	// the transform exists: it resumes at its own committed offsets.
	From *StartOffset
}

// StartOffset is the deploy request's offset: Format says from what Value
// counts (rpk transform deploy --from-offset: +N, -N, @T).
type StartOffset struct {
	Format string `json:"format"`
	Value  int64  `json:"value"`
}

// StartOffset formats.
const (
	OffsetFromStart = "from_start" // Value records after each partition's start
	OffsetFromEnd   = "from_end"   // Value records before each partition's end
	OffsetTimestamp = "timestamp"  // the first record stamped at or after Value (epoch ms)
)

// RPK is the offset as rpk transform deploy --from-offset (and
// transform.yaml's from-offset) writes it: +N, -N or @T.
func (o StartOffset) RPK() string {
	switch o.Format {
	case OffsetFromStart:
		return fmt.Sprintf("+%d", o.Value)
	case OffsetFromEnd:
		return fmt.Sprintf("-%d", o.Value)
	}
	return fmt.Sprintf("@%d", o.Value)
}

// Transform is a transform deployed on the cluster, as List reports it.
type Transform struct {
	Name         string
	InputTopic   string
	OutputTopics []string
	Environment  map[string]string
	// Status is the state of the transform on each input partition.
	Status []PartitionStatus
}

// PartitionStatus is a transform's state on one partition of its input.
type PartitionStatus struct {
	NodeID    int    `json:"node_id"`
	Partition int    `json:"partition"`
	Core      int    `json:"core,omitempty"`
	Status    string `json:"status"` // running | inactive | errored | unknown
	Lag       int64  `json:"lag,omitempty"`
}

// envVar is the admin API's environment_variable model.
type envVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// deployRequest is the admin API's deploy_transform_request model. The
// broker validates it against a schema with additionalProperties false, so
// nothing else may be sent. offset is what rpk transform deploy
// --from-offset sends (rpadmin's TransformMetadata.FromOffset).
type deployRequest struct {
	Name         string       `json:"name"`
	InputTopic   string       `json:"input_topic"`
	OutputTopics []string     `json:"output_topics"`
	Environment  []envVar     `json:"environment,omitempty"`
	Offset       *StartOffset `json:"offset,omitempty"`
}

// transformJSON is the admin API's transform_metadata model.
type transformJSON struct {
	Name         string            `json:"name"`
	InputTopic   string            `json:"input_topic"`
	OutputTopics []string          `json:"output_topics"`
	Status       []PartitionStatus `json:"status"`
	Environment  []envVar          `json:"environment"`
}

// DeployBody returns the body of a deploy request: the JSON metadata
// immediately followed by the module bytes, without any delimiter.
// Environment variables are sorted by key, so the same transform gives the
// same bytes.
func DeployBody(meta TransformMetadata, module []byte) ([]byte, error) {
	req := deployRequest{Name: meta.Name, InputTopic: meta.InputTopic, OutputTopics: meta.OutputTopics, Offset: meta.From}
	if req.OutputTopics == nil {
		req.OutputTopics = []string{}
	}
	keys := make([]string, 0, len(meta.Environment))
	for k := range meta.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req.Environment = append(req.Environment, envVar{Key: k, Value: meta.Environment[k]})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(req); err != nil {
		return nil, fmt.Errorf("encode transform metadata: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline: the module follows at once
	buf.Write(module)
	return buf.Bytes(), nil
}

// Deploy deploys (or replaces) the transform meta.Name with the module,
// with POST /v1/transform/deploy.
func (c *AdminClient) Deploy(ctx context.Context, meta TransformMetadata, module []byte) error {
	if meta.Name == "" {
		return errors.New("deploy transform: no name")
	}
	body, err := DeployBody(meta, module)
	if err != nil {
		return err
	}
	if err := c.do(ctx, http.MethodPost, deployPath, deployContentType, body, nil); err != nil {
		return fmt.Errorf("deploy transform %s: %w", meta.Name, err)
	}
	return nil
}

// List returns the transforms deployed on the cluster, with
// GET /v1/transform, sorted by name.
func (c *AdminClient) List(ctx context.Context) ([]Transform, error) {
	var raw []transformJSON
	if err := c.do(ctx, http.MethodGet, transformsPath, "", nil, &raw); err != nil {
		return nil, fmt.Errorf("list transforms: %w", err)
	}
	out := make([]Transform, len(raw))
	for i, t := range raw {
		out[i] = Transform{Name: t.Name, InputTopic: t.InputTopic, OutputTopics: t.OutputTopics, Status: t.Status}
		if len(t.Environment) > 0 {
			out[i].Environment = make(map[string]string, len(t.Environment))
			for _, e := range t.Environment {
				out[i].Environment[e.Key] = e.Value
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete deletes the transform with DELETE /v1/transform/{name}. A
// transform the cluster does not have gives an error that matches
// ErrNotFound.
func (c *AdminClient) Delete(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("delete transform: no name")
	}
	if err := c.do(ctx, http.MethodDelete, transformsPath+"/"+url.PathEscape(name), "", nil, nil); err != nil {
		return fmt.Errorf("delete transform %s: %w", name, err)
	}
	return nil
}

// ErrNotFound matches an AdminError for a 404 response.
var ErrNotFound = errors.New("not found")

// AdminError is an admin API request the server refused: the status and
// what the server said about it.
type AdminError struct {
	Method string
	URL    string
	Status int
	// Message is the server's message: the "message" field of Redpanda's
	// JSON error body, else the start of the body as text.
	Message string
}

func (e *AdminError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), msg)
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *AdminError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// do sends one request and decodes a JSON response into out (when non-nil).
func (c *AdminClient) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	// path is already escaped (a transform name goes through
	// url.PathEscape), and the base has no user info to redact.
	target := c.base.String() + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	c.auth(req)
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, below
		}
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &AdminError{Method: method, URL: target, Status: resp.StatusCode, Message: serverMessage(b)}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the response: %w", method, target, err)
	}
	return nil
}

// serverMessage extracts what the server said from an error body:
// Redpanda answers {"message": "...", "code": N}.
func serverMessage(body []byte) string {
	var generic struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &generic) == nil && generic.Message != "" {
		return generic.Message
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if len(s) > 512 {
		s = s[:512] + "…"
	}
	return s
}
