package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/broker/admintest"
)

// wasm is the smallest valid WebAssembly module: magic and version.
var wasm = []byte("\x00asm\x01\x00\x00\x00")

// recorded is one HTTP request as the server saw it.
type recorded struct {
	Method, RawPath, ContentType, Authorization, Accept string
	Body                                                string
}

// recorder is an httptest server that records requests and answers each
// with the next canned response.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T, status int, body string) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{
			Method: req.Method, RawPath: req.URL.EscapedPath(), ContentType: req.Header.Get("Content-Type"),
			Authorization: req.Header.Get("Authorization"), Accept: req.Header.Get("Accept"), Body: string(b),
		})
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(r.Close)
	return r
}

func TestAdminRequestsAreExactlyAsDocumented(t *testing.T) {
	meta := TransformMetadata{
		Name:         "lognorm-broker-1",
		InputTopic:   "raw-logs",
		OutputTopics: []string{"logs-errors", "lognorm.dlq"},
		Environment:  map[string]string{"PIPELINE_STAGE": "broker.1", "PIPELINE_NAME": "lognorm"},
	}
	tests := []struct {
		name string
		opts []AdminOption
		call func(*AdminClient) error
		want recorded
	}{{
		name: "deploy: JSON metadata immediately followed by the module, basic auth",
		opts: []AdminOption{WithBasicAuth("svc", "s3cret")},
		call: func(c *AdminClient) error { return c.Deploy(context.Background(), meta, wasm) },
		want: recorded{
			Method: "POST", RawPath: "/v1/transform/deploy", ContentType: "application/json+wasm",
			Authorization: "Basic c3ZjOnMzY3JldA==", Accept: "application/json",
			Body: `{"name":"lognorm-broker-1","input_topic":"raw-logs","output_topics":["logs-errors","lognorm.dlq"],` +
				`"environment":[{"key":"PIPELINE_NAME","value":"lognorm"},{"key":"PIPELINE_STAGE","value":"broker.1"}]}` + string(wasm),
		},
	}, {
		name: "deploy without environment leaves the optional field out",
		call: func(c *AdminClient) error {
			return c.Deploy(context.Background(), TransformMetadata{Name: "t", InputTopic: "in", OutputTopics: []string{"out"}}, wasm)
		},
		want: recorded{
			Method: "POST", RawPath: "/v1/transform/deploy", ContentType: "application/json+wasm", Accept: "application/json",
			Body: `{"name":"t","input_topic":"in","output_topics":["out"]}` + string(wasm),
		},
	}, {
		name: "deploy with a start offset sends it as rpk's --from-offset does",
		call: func(c *AdminClient) error {
			return c.Deploy(context.Background(), TransformMetadata{Name: "t", InputTopic: "in", OutputTopics: []string{"out"},
				From: &StartOffset{Format: OffsetTimestamp, Value: 1767225600000}}, wasm)
		},
		want: recorded{
			Method: "POST", RawPath: "/v1/transform/deploy", ContentType: "application/json+wasm", Accept: "application/json",
			Body: `{"name":"t","input_topic":"in","output_topics":["out"],"offset":{"format":"timestamp","value":1767225600000}}` + string(wasm),
		},
	}, {
		name: "list with a bearer token",
		opts: []AdminOption{WithBearerToken("tok")},
		call: func(c *AdminClient) error { _, err := c.List(context.Background()); return err },
		want: recorded{Method: "GET", RawPath: "/v1/transform", Authorization: "Bearer tok", Accept: "application/json"},
	}, {
		name: "delete",
		call: func(c *AdminClient) error { return c.Delete(context.Background(), "lognorm-broker-1") },
		want: recorded{Method: "DELETE", RawPath: "/v1/transform/lognorm-broker-1", Accept: "application/json"},
	}, {
		name: "delete escapes the name",
		call: func(c *AdminClient) error { return c.Delete(context.Background(), "a b/c") },
		want: recorded{Method: "DELETE", RawPath: "/v1/transform/a%20b%2Fc", Accept: "application/json"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, http.StatusOK, "[]")
			c, err := NewAdminClient(srv.URL+"/", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]recorded{tt.want}, srv.reqs); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdminListDecodesTransforms(t *testing.T) {
	// The shape of a Redpanda 24.x answer (transform_metadata).
	body := `[{"name":"a","input_topic":"in","output_topics":["o1","o2"],
		"status":[{"node_id":1,"partition":0,"core":2,"status":"running","lag":5}],
		"environment":[{"key":"K","value":"V"}]},
		{"name":"0first","input_topic":"x","output_topics":["y"],"status":[],"environment":[]}]`
	srv := newRecorder(t, http.StatusOK, body)
	c, err := NewAdminClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Transform{
		{Name: "0first", InputTopic: "x", OutputTopics: []string{"y"}, Status: []PartitionStatus{}},
		{Name: "a", InputTopic: "in", OutputTopics: []string{"o1", "o2"}, Environment: map[string]string{"K": "V"},
			Status: []PartitionStatus{{NodeID: 1, Partition: 0, Core: 2, Status: "running", Lag: 5}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestAdminErrorsSayWhatTheServerSaid(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		call     func(*AdminClient) error
		want     []string
		notFound bool
	}{{
		name:   "a Redpanda error body",
		status: 400, body: `{"message":"Invalid output topic: nope","code":400}`,
		call: func(c *AdminClient) error {
			return c.Deploy(context.Background(), TransformMetadata{Name: "t", InputTopic: "i", OutputTopics: []string{"nope"}}, wasm)
		},
		want: []string{"deploy transform t: POST ", "/v1/transform/deploy: 400 Bad Request: Invalid output topic: nope"},
	}, {
		name:   "a plain-text body",
		status: 503, body: "transforms are disabled\n",
		call: func(c *AdminClient) error { _, err := c.List(context.Background()); return err },
		want: []string{"list transforms: GET ", "503 Service Unavailable: transforms are disabled"},
	}, {
		name:   "a missing transform",
		status: 404, body: `{"message":"transform not found","code":404}`,
		call:     func(c *AdminClient) error { return c.Delete(context.Background(), "gone") },
		want:     []string{"delete transform gone: DELETE ", "404 Not Found: transform not found"},
		notFound: true,
	}, {
		name:   "an unauthorized request never shows the password",
		status: 401, body: `{"message":"Unauthorized","code":401}`,
		call: func(c *AdminClient) error { _, err := c.List(context.Background()); return err },
		want: []string{"401 Unauthorized: Unauthorized"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecorder(t, tt.status, tt.body)
			c, err := NewAdminClient(srv.URL, WithBasicAuth("svc", "s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
			var ae *AdminError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Errorf("error %v is not an AdminError with status %d", err, tt.status)
			}
			if errors.Is(err, ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tt.notFound, tt.notFound)
			}
		})
	}
}

func TestAdminTransportFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, _ := NewAdminClient(url)
		_, err := c.List(context.Background())
		if err == nil || !strings.Contains(err.Error(), "GET "+url+"/v1/transform") {
			t.Errorf("err = %v, want one naming the request", err)
		}
	})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	t.Run("timeout", func(t *testing.T) {
		c, _ := NewAdminClient(slow.URL, WithTimeout(50*time.Millisecond))
		if _, err := c.List(context.Background()); err == nil {
			t.Error("no error from a server slower than the timeout")
		}
	})
	t.Run("context", func(t *testing.T) {
		c, _ := NewAdminClient(slow.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Delete(ctx, "x"); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestNewAdminClientRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"localhost:9644", "ftp://h:1", "http://", "http://u:p@h:9644", "http://h:9644?x=1"} {
		if _, err := NewAdminClient(u); err == nil {
			t.Errorf("NewAdminClient(%q): no error", u)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("NewAdminClient(%q): error %q shows the credentials", u, err)
		}
	}
}

// TestAdminAgainstTheFakeAdminAPI runs a deploy, list and delete through
// admintest, which checks each request as the broker's handler reads it.
func TestAdminAgainstTheFakeAdminAPI(t *testing.T) {
	srv := admintest.NewServer(t, admintest.RequireBasicAuth("svc", "pw"))
	c, err := NewAdminClient(srv.URL, WithBasicAuth("svc", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	meta := TransformMetadata{Name: "t", InputTopic: "in", OutputTopics: []string{"out", "dlq"}, Environment: map[string]string{"A": "1"}}
	if err := c.Deploy(ctx, meta, wasm); err != nil {
		t.Fatal(err)
	}
	got, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Transform{{Name: "t", InputTopic: "in", OutputTopics: []string{"out", "dlq"}, Environment: map[string]string{"A": "1"},
		Status: []PartitionStatus{{Status: "running"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if m := srv.Transforms()[0].Module; string(m) != string(wasm) {
		t.Errorf("the server received module %q", m)
	}
	if err := c.Delete(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "t"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	wrong, _ := NewAdminClient(srv.URL, WithBasicAuth("svc", "nope"))
	if _, err := wrong.List(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v", err)
	}
}

// failures records the fake server's complaints instead of failing.
type failures struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

// TestFakeAdminAPIRejectsUndocumentedRequests makes sure the checks the
// other tests rely on can fail.
func TestFakeAdminAPIRejectsUndocumentedRequests(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"wrong media type", "application/octet-stream", `{"name":"t","input_topic":"i","output_topics":["o"]}` + string(wasm), "Content-Type"},
		{"delimiter after the JSON", deployContentType, `{"name":"t","input_topic":"i","output_topics":["o"]}` + "\n" + string(wasm), "immediately"},
		{"unknown property", deployContentType, `{"name":"t","input_topic":"i","output_topics":["o"],"status":[]}` + string(wasm), "additional property"},
		{"missing output_topics", deployContentType, `{"name":"t","input_topic":"i"}` + string(wasm), "output_topics"},
		{"environment as an object", deployContentType, `{"name":"t","input_topic":"i","output_topics":["o"],"environment":{"A":"1"}}` + string(wasm), "environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failures{TB: t}
			srv := admintest.NewServer(f)
			resp, err := http.Post(srv.URL+"/v1/transform/deploy", tt.contentType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
			if len(f.msgs) != 1 || !strings.Contains(f.msgs[0], tt.want) {
				t.Errorf("complaints %q, want one about %q", f.msgs, tt.want)
			}
		})
	}
}
