// Package srtest is an in-process Schema Registry for tests: an
// httptest server implementing the subset of the Confluent REST API the
// project calls (subject versions, schemas by ID, register and look up,
// compatibility config), with optional basic or bearer auth and a request
// counter so tests can prove a command stayed offline. It checks nothing
// about compatibility: plan computes that locally.
package srtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Schema is a registered schema as the REST API carries it.
type Schema struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType,omitempty"` // "" = AVRO
	References []Reference `json:"references,omitempty"`
}

// Reference names another subject's version.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

type version struct {
	Version int
	ID      int
}

// Server is the test registry.
type Server struct {
	*httptest.Server
	// Username/Password or Token, when set, are required of every request.
	Username, Password, Token string
	// Requests counts the requests served.
	Requests atomic.Int64

	mu       sync.Mutex
	global   string
	compat   map[string]string
	subjects map[string][]version
	byID     map[int]Schema
}

// New starts a registry, closed when t ends. The global level is BACKWARD.
func New(t testing.TB) *Server {
	s := &Server{global: "BACKWARD", compat: map[string]string{}, subjects: map[string][]version{}, byID: map[int]Schema{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Register registers a schema of a registry type (AVRO, PROTOBUF, JSON)
// and returns its ID and version.
func (s *Server) Register(subject, schemaType, text string) (id, ver int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.register(subject, Schema{Schema: text, SchemaType: schemaType})
}

// SetCompatibility sets a subject's level ("" subject: the global one).
func (s *Server) SetCompatibility(subject, level string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if subject == "" {
		s.global = level
		return
	}
	s.compat[subject] = level
}

func normType(t string) string {
	if t == "AVRO" {
		return ""
	}
	return t
}

func (s *Server) register(subject string, sch Schema) (int, int) {
	sch.SchemaType = normType(sch.SchemaType)
	for _, v := range s.subjects[subject] {
		if same(s.byID[v.ID], sch) {
			return v.ID, v.Version
		}
	}
	id := 0
	for i, x := range s.byID {
		if same(x, sch) {
			id = i
		}
	}
	if id == 0 {
		id = len(s.byID) + 1
		s.byID[id] = sch
	}
	ver := len(s.subjects[subject]) + 1
	s.subjects[subject] = append(s.subjects[subject], version{Version: ver, ID: id})
	return id, ver
}

func same(a, b Schema) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return string(ab) == string(bb)
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.Token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.Token
	case s.Username != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.Username && p == s.Password
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error_code": code, "message": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	if !s.authorized(r) {
		fail(w, http.StatusUnauthorized, 401, "Unauthorized")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, p := range parts {
		parts[i], _ = unescape(p)
	}
	switch {
	case len(parts) == 3 && parts[0] == "schemas" && parts[1] == "ids" && r.Method == http.MethodGet:
		id, _ := strconv.Atoi(parts[2])
		sch, ok := s.byID[id]
		if !ok {
			fail(w, http.StatusNotFound, 40403, "Schema not found")
			return
		}
		writeJSON(w, http.StatusOK, sch)
	case len(parts) == 4 && parts[0] == "schemas" && parts[1] == "ids" && parts[3] == "versions":
		id, _ := strconv.Atoi(parts[2])
		out := []map[string]any{}
		for subj, vs := range s.subjects {
			for _, v := range vs {
				if v.ID == id {
					out = append(out, map[string]any{"subject": subj, "version": v.Version})
				}
			}
		}
		writeJSON(w, http.StatusOK, out)
	case len(parts) >= 1 && parts[0] == "config":
		subject := ""
		if len(parts) == 2 {
			subject = parts[1]
		}
		if r.Method == http.MethodPut {
			var body struct {
				Compatibility string `json:"compatibility"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			if subject == "" {
				s.global = body.Compatibility
			} else {
				s.compat[subject] = body.Compatibility
			}
			writeJSON(w, http.StatusOK, body)
			return
		}
		level, ok := s.compat[subject]
		if subject == "" {
			level, ok = s.global, true
		}
		if !ok && r.URL.Query().Get("defaultToGlobal") == "true" {
			level, ok = s.global, true
		}
		if !ok {
			fail(w, http.StatusNotFound, 40408, "Subject does not have subject-level compatibility configured")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"compatibilityLevel": level})
	case len(parts) == 2 && parts[0] == "subjects" && r.Method == http.MethodPost:
		// Look a schema up in a subject.
		var sch Schema
		if err := json.NewDecoder(r.Body).Decode(&sch); err != nil {
			fail(w, http.StatusUnprocessableEntity, 42201, err.Error())
			return
		}
		sch.SchemaType = normType(sch.SchemaType)
		for _, v := range s.subjects[parts[1]] {
			if same(s.byID[v.ID], sch) {
				writeJSON(w, http.StatusOK, s.subjectSchema(parts[1], v))
				return
			}
		}
		fail(w, http.StatusNotFound, 40403, "Schema not found")
	case len(parts) == 3 && parts[0] == "subjects" && parts[2] == "versions":
		subject := parts[1]
		if r.Method == http.MethodPost {
			var sch Schema
			if err := json.NewDecoder(r.Body).Decode(&sch); err != nil || sch.Schema == "" {
				fail(w, http.StatusUnprocessableEntity, 42201, "Invalid schema")
				return
			}
			id, _ := s.register(subject, sch)
			writeJSON(w, http.StatusOK, map[string]int{"id": id})
			return
		}
		vs, ok := s.subjects[subject]
		if !ok {
			fail(w, http.StatusNotFound, 40401, "Subject not found")
			return
		}
		out := make([]int, len(vs))
		for i, v := range vs {
			out[i] = v.Version
		}
		sort.Ints(out)
		writeJSON(w, http.StatusOK, out)
	case len(parts) == 4 && parts[0] == "subjects" && parts[2] == "versions" && r.Method == http.MethodGet:
		vs, ok := s.subjects[parts[1]]
		if !ok || len(vs) == 0 {
			fail(w, http.StatusNotFound, 40401, "Subject not found")
			return
		}
		want := len(vs)
		if parts[3] != "latest" && parts[3] != "-1" {
			n, err := strconv.Atoi(parts[3])
			if err != nil || n < 1 || n > len(vs) {
				fail(w, http.StatusNotFound, 40402, "Version not found")
				return
			}
			want = n
		}
		writeJSON(w, http.StatusOK, s.subjectSchema(parts[1], vs[want-1]))
	default:
		fail(w, http.StatusNotFound, 404, "not implemented by srtest: "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) subjectSchema(subject string, v version) map[string]any {
	sch := s.byID[v.ID]
	out := map[string]any{"subject": subject, "version": v.Version, "id": v.ID, "schema": sch.Schema}
	if sch.SchemaType != "" {
		out["schemaType"] = sch.SchemaType
	}
	if len(sch.References) > 0 {
		out["references"] = sch.References
	}
	return out
}

func unescape(p string) (string, error) { return url.PathUnescape(p) }
