package admintest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Documented request format.
const (
	DeployPath        = "/v1/transform/deploy"
	ListPath          = "/v1/transform"
	DeletePrefix      = "/v1/transform/"
	DeployContentType = "application/json+wasm"
)

// wasmMagic starts every WebAssembly binary.
var wasmMagic = []byte{0x00, 'a', 's', 'm'}

// Transform is a transform the fake cluster holds.
type Transform struct {
	Name         string
	InputTopic   string
	OutputTopics []string
	Environment  map[string]string
	Module       []byte
	// SHA256 is the hex digest of Module.
	SHA256 string
	// Offset is the deploy request's offset ("from_start 0",
	// "from_end 0", "timestamp 1767225600000"), "" when it had none. As
	// Redpanda does, a redeploy of an existing transform keeps the offset
	// it was first deployed with.
	Offset string
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // unescaped
}

// Server is the fake Admin API. Its URL field is the base URL to configure
// as admin_url.
type Server struct {
	*httptest.Server
	t testing.TB

	mu         sync.Mutex
	transforms map[string]*Transform
	requests   []Request
	user, pass string
	token      string
	failNext   map[string]int // method → status to answer once
}

// Option configures a Server.
type Option func(*Server)

// RequireBasicAuth makes the server answer 401 to requests without these
// basic-auth credentials.
func RequireBasicAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// RequireBearer makes the server answer 401 to requests without this
// bearer token.
func RequireBearer(token string) Option { return func(s *Server) { s.token = token } }

// NewServer starts a fake Admin API, closed when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	s := &Server{t: t, transforms: map[string]*Transform{}, failNext: map[string]int{}}
	for _, o := range opts {
		o(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Transforms returns the deployed transforms, sorted by name.
func (s *Server) Transforms() []Transform {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Transform, 0, len(s.transforms))
	for _, t := range s.transforms {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests had this method.
func (s *Server) Count(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

// Put installs a transform as if someone had deployed it.
func (s *Server) Put(t Transform) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := sha256.Sum256(t.Module)
	t.SHA256 = hex.EncodeToString(h[:])
	s.transforms[t.Name] = &t
}

// FailNext makes the next request with this method fail with status and a
// Redpanda-style error body.
func (s *Server) FailNext(method string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = status
}

// errorBody is Redpanda's JSON error answer.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"message": msg, "code": status})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path})
	status, fail := s.failNext[r.Method]
	delete(s.failNext, r.Method)
	s.mu.Unlock()
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if fail {
		writeError(w, status, fmt.Sprintf("injected failure %d", status))
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == DeployPath:
		s.deploy(w, r)
	case r.Method == http.MethodGet && r.URL.Path == ListPath:
		s.list(w)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, DeletePrefix) && len(r.URL.Path) > len(DeletePrefix):
		s.delete(w, r)
	default:
		s.t.Errorf("admin API: unexpected request %s %s", r.Method, r.URL.RequestURI())
		writeError(w, http.StatusNotFound, "Not found")
	}
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.token
	case s.user != "":
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.pass))
		return r.Header.Get("Authorization") == want
	}
	return true
}

// deploy checks a deploy request as the broker's handler reads it: a JSON
// object (parsing stops where it ends) validated against the documented
// schema (name, input_topic and output_topics required; environment a
// list of {key, value}; nothing else), immediately followed by the module.
func (s *Server) deploy(w http.ResponseWriter, r *http.Request) {
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.t.Errorf("admin API: deploy request: %s", msg)
		writeError(w, http.StatusBadRequest, msg)
	}
	if ct := r.Header.Get("Content-Type"); ct != DeployContentType {
		fail("Content-Type %q, the admin API documents %q", ct, DeployContentType)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail("read body: %v", err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		fail("JSON parse error: %v", err)
		return
	}
	module := body[dec.InputOffset():]
	if !bytes.HasPrefix(module, wasmMagic) {
		fail("the module does not follow the JSON metadata immediately (next bytes %q)", head(module))
		return
	}
	for k := range doc {
		switch k {
		case "name", "input_topic", "output_topics", "environment", "offset":
		default:
			fail("invalid JSON request body: additional property %q", k)
			return
		}
	}
	var t Transform
	for _, f := range []struct {
		key string
		dst any
	}{{"name", &t.Name}, {"input_topic", &t.InputTopic}, {"output_topics", &t.OutputTopics}} {
		raw, ok := doc[f.key]
		if !ok {
			fail("invalid JSON request body: missing required property %q", f.key)
			return
		}
		if err := strictUnmarshal(raw, f.dst); err != nil {
			fail("invalid JSON request body: %s: %v", f.key, err)
			return
		}
	}
	if raw, ok := doc["environment"]; ok {
		var env []map[string]json.RawMessage
		if err := strictUnmarshal(raw, &env); err != nil {
			fail("invalid JSON request body: environment: %v", err)
			return
		}
		t.Environment = map[string]string{}
		for _, e := range env {
			var k, v string
			if len(e) != 2 || strictUnmarshal(e["key"], &k) != nil || strictUnmarshal(e["value"], &v) != nil {
				fail("invalid JSON request body: environment items are {\"key\": string, \"value\": string}, got %v", e)
				return
			}
			t.Environment[k] = v
		}
	}
	if raw, ok := doc["offset"]; ok {
		var off struct {
			Format *string `json:"format"`
			Value  *int64  `json:"value"`
		}
		if err := strictUnmarshal(raw, &off); err != nil || off.Format == nil || off.Value == nil {
			fail("invalid JSON request body: offset is {\"format\": string, \"value\": integer}, got %s", raw)
			return
		}
		switch *off.Format {
		case "from_start", "from_end", "timestamp":
		default:
			fail("invalid JSON request body: offset format %q, want from_start, from_end or timestamp", *off.Format)
			return
		}
		if *off.Value < 0 {
			fail("invalid JSON request body: offset value %d is negative", *off.Value)
			return
		}
		t.Offset = fmt.Sprintf("%s %d", *off.Format, *off.Value)
	}
	if t.Name == "" || t.InputTopic == "" || len(t.OutputTopics) == 0 {
		writeError(w, http.StatusBadRequest, "invalid transform metadata")
		return
	}
	t.Module = append([]byte(nil), module...)
	s.mu.Lock()
	if old, ok := s.transforms[t.Name]; ok {
		t.Offset = old.Offset // only a first deploy's offset counts
	}
	s.mu.Unlock()
	s.Put(t)
	w.WriteHeader(http.StatusOK)
}

func strictUnmarshal(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

// list answers GET /v1/transform with the documented transform_metadata
// array, one running status per partition.
func (s *Server) list(w http.ResponseWriter) {
	type env struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	type status struct {
		NodeID    int    `json:"node_id"`
		Partition int    `json:"partition"`
		Core      int    `json:"core"`
		Status    string `json:"status"`
		Lag       int    `json:"lag"`
	}
	type meta struct {
		Name         string   `json:"name"`
		InputTopic   string   `json:"input_topic"`
		OutputTopics []string `json:"output_topics"`
		Status       []status `json:"status"`
		Environment  []env    `json:"environment"`
	}
	out := []meta{}
	for _, t := range s.Transforms() {
		m := meta{Name: t.Name, InputTopic: t.InputTopic, OutputTopics: t.OutputTopics,
			Status: []status{{NodeID: 0, Partition: 0, Status: "running"}}, Environment: []env{}}
		keys := make([]string, 0, len(t.Environment))
		for k := range t.Environment {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m.Environment = append(m.Environment, env{k, t.Environment[k]})
		}
		out = append(out, m)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	name, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), DeletePrefix))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad transform name")
		return
	}
	s.mu.Lock()
	_, ok := s.transforms[name]
	delete(s.transforms, name)
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "transform not found")
		return
	}
	w.WriteHeader(http.StatusOK)
}
