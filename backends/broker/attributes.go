package broker

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// DefaultMemoryLimit is Redpanda's default per-function memory limit
// (the cluster property data_transforms_per_function_memory_limit): what a
// transform gets when memory_limit is not set.
const DefaultMemoryLimit int64 = 2 << 20

// Config is the broker backend's settings: the attributes of the spec's
// backend "broker" block, decoded and checked.
type Config struct {
	// AdminURL is the Redpanda Admin API the transforms are deployed
	// through; "" means the local WebAssembly host.
	AdminURL string
	// Username and Password authenticate admin requests with basic auth;
	// Token with a bearer token. Both are sensitive: never print them.
	Username, Password string
	Token              string
	// TLS settings for an https AdminURL.
	CAFile, CertFile, KeyFile string
	InsecureSkipVerify        bool
	// Timeout bounds one admin request (DefaultAdminTimeout when 0).
	Timeout time.Duration
	// MemoryLimit is the cluster's per-function memory limit in bytes as
	// the spec states it; 0 when not stated.
	MemoryLimit int64

	// ranges are the attributes' source ranges, for diagnostics raised
	// after decoding (the memory warning).
	ranges map[string]hcl.Range
	block  hcl.Range
}

// attrKind is the value an attribute takes.
type attrKind int

const (
	attrString attrKind = iota
	attrBool
	attrSize // "8MiB" or a whole number of bytes
	attrDuration
	attrURL
)

// attribute is one setting of backend "broker". Adding a setting is one row
// in attributes plus one line in decodeInto.
type attribute struct {
	kind      attrKind
	sensitive bool // a secret: warn when the spec writes it in clear
	tls       bool // only meaningful with an https admin_url
}

var attributes = map[string]attribute{
	"admin_url":                  {kind: attrURL},                     // the Redpanda Admin API, e.g. "http://localhost:9644"
	"admin_username":             {kind: attrString},                  // basic-auth user for the Admin API
	"admin_password":             {kind: attrString, sensitive: true}, // basic-auth password (use env())
	"admin_token":                {kind: attrString, sensitive: true}, // OIDC bearer token (use env())
	"admin_ca_file":              {kind: attrString, tls: true},       // PEM CA bundle for an https admin_url
	"admin_cert_file":            {kind: attrString, tls: true},       // client certificate for mutual TLS
	"admin_key_file":             {kind: attrString, tls: true},       // client key for mutual TLS
	"admin_insecure_skip_verify": {kind: attrBool, tls: true},         // skip server certificate verification
	"admin_timeout":              {kind: attrDuration},                // bound on one Admin API request, e.g. "30s"
	"memory_limit":               {kind: attrSize},                    // the cluster's data_transforms_per_function_memory_limit, e.g. "16MiB"
}

// AttributeNames returns the settings backend "broker" accepts, sorted.
func AttributeNames() []string {
	names := make([]string, 0, len(attributes))
	for n := range attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks the attributes of the spec's backend "broker" block (if
// any) and returns diagnostics at the offending attribute.
func Validate(p *ir.Pipeline) hcl.Diagnostics {
	_, diags := DecodeConfig(p)
	return diags
}

// DecodeConfig decodes and checks the backend "broker" block of p. It
// returns nil and no diagnostics when the broker backend is not enabled,
// and nil with errors when a setting is wrong.
func DecodeConfig(p *ir.Pipeline) (*Config, hcl.Diagnostics) {
	if p == nil {
		return nil, nil
	}
	be := p.Backend(ir.BackendBroker)
	if be == nil {
		return nil, nil
	}
	cfg := &Config{ranges: map[string]hcl.Range{}, block: be.Range.HCL()}
	var diags hcl.Diagnostics
	names := make([]string, 0, len(be.Attributes))
	for n := range be.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := be.Attributes[name]
		rng := attrRange(be, name)
		cfg.ranges[name] = rng
		a, ok := attributes[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported broker backend setting",
				Detail:   fmt.Sprintf("backend \"broker\" has no setting %q.%s Settings are %s.", name, didYouMean(name), strings.Join(AttributeNames(), ", ")),
				Subject:  &rng,
			})
			continue
		}
		diags = append(diags, cfg.decodeInto(name, a, c, rng)...)
		if a.sensitive && !c.Sensitive && !c.Value.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Secret written in the spec",
				Detail:   fmt.Sprintf("%s is written in clear in the spec, so it is kept in version control and shown by plan -json. Read it with env(\"...\") or a sensitive variable instead.", name),
				Subject:  &rng,
			})
		}
	}
	if !diags.HasErrors() { // combinations of settings that each decoded
		diags = append(diags, cfg.check(p)...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// attrRange is where the attribute name is written. ir.Const does not carry
// its source range (yet), so this is the backend block's declaration.
func attrRange(be *ir.Backend, _ string) hcl.Range { return be.Range.HCL() }

// decodeInto converts one attribute's value into cfg. Errors never quote a
// sensitive value.
func (cfg *Config) decodeInto(name string, a attribute, c ir.Const, rng hcl.Range) hcl.Diagnostics {
	bad := func(format string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid broker backend setting",
			Detail:   fmt.Sprintf("%s: ", name) + fmt.Sprintf(format, args...),
			Subject:  &rng,
		}}
	}
	v := c.Value
	if v.IsNull() {
		return bad("must not be null.")
	}
	var (
		s   string
		b   bool
		n   int64
		d   time.Duration
		err error
	)
	switch a.kind {
	case attrString, attrURL, attrDuration:
		if v.Type() != cty.String {
			return bad("want a string, got %s.", v.Type().FriendlyName())
		}
		s = v.AsString()
		if s == "" {
			return bad("must not be empty.")
		}
	case attrBool:
		if v.Type() != cty.Bool {
			return bad("want true or false, got %s.", v.Type().FriendlyName())
		}
		b = v.True()
	case attrSize:
		if n, err = sizeOf(v); err != nil {
			return bad("%v.", err)
		}
	}
	switch a.kind {
	case attrURL:
		if _, err := parseAdminURL(s); err != nil {
			return bad("%v.", err)
		}
	case attrDuration:
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return bad("want a positive duration such as \"30s\" or \"2m\", got %q.", s)
		}
	}
	switch name {
	case "admin_url":
		cfg.AdminURL = strings.TrimRight(s, "/")
	case "admin_username":
		cfg.Username = s
	case "admin_password":
		cfg.Password = s
	case "admin_token":
		cfg.Token = s
	case "admin_ca_file":
		cfg.CAFile = s
	case "admin_cert_file":
		cfg.CertFile = s
	case "admin_key_file":
		cfg.KeyFile = s
	case "admin_insecure_skip_verify":
		cfg.InsecureSkipVerify = b
	case "admin_timeout":
		cfg.Timeout = d
	case "memory_limit":
		cfg.MemoryLimit = n
	}
	return nil
}

// check validates combinations of settings.
func (cfg *Config) check(p *ir.Pipeline) hcl.Diagnostics {
	var diags hcl.Diagnostics
	at := func(name string) *hcl.Range {
		if r, ok := cfg.ranges[name]; ok {
			return &r
		}
		r := cfg.block
		return &r
	}
	errorf := func(name, summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: at(name)})
	}
	warnf := func(name, summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: at(name)})
	}
	set := func(name string) bool { _, ok := cfg.ranges[name]; return ok }

	if (cfg.Password != "") && cfg.Username == "" {
		errorf("admin_password", "Incomplete Admin API credentials", "admin_password needs admin_username.")
	}
	if cfg.Username != "" && cfg.Password == "" {
		errorf("admin_username", "Incomplete Admin API credentials", "admin_username needs admin_password.")
	}
	if cfg.Token != "" && cfg.Username != "" {
		errorf("admin_token", "Conflicting Admin API credentials", "Set either admin_token (bearer) or admin_username and admin_password (basic auth), not both.")
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		name := "admin_cert_file"
		if cfg.CertFile != "" {
			name = "admin_key_file"
		}
		errorf(name, "Incomplete client certificate", "admin_cert_file and admin_key_file must be set together.")
	}
	if cfg.AdminURL == "" {
		for _, name := range AttributeNames() {
			if set(name) && name != "memory_limit" {
				warnf(name, "Setting without admin_url", "%s only matters when deploying to Redpanda, and admin_url is not set: broker stages run in the local WebAssembly host.", name)
			}
		}
		return diags
	}
	if p.Broker == nil {
		errorf("admin_url", "admin_url needs a broker block",
			"Transforms deployed through admin_url read and write that Redpanda cluster's topics, so the spec needs a broker block naming the cluster's Kafka API (without one, apply starts an embedded broker that Redpanda cannot see).")
	}
	u, _ := url.Parse(cfg.AdminURL)
	if u != nil && u.Scheme == "http" {
		for _, name := range AttributeNames() {
			if attributes[name].tls && set(name) {
				warnf(name, "TLS setting on an http admin_url", "%s has no effect: admin_url is http, not https.", name)
			}
		}
		if (cfg.Password != "" || cfg.Token != "") && !loopback(u.Hostname()) {
			warnf("admin_url", "Credentials sent in clear text", "admin_url is http, so the Admin API credentials cross the network unencrypted; use https.")
		}
	}
	return diags
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// NewAdminClient returns a client for the configured Admin API, or an
// error when admin_url is not set.
func (cfg *Config) NewAdminClient(extra ...AdminOption) (*AdminClient, error) {
	if cfg == nil || cfg.AdminURL == "" {
		return nil, fmt.Errorf("backend \"broker\" has no admin_url")
	}
	var opts []AdminOption
	if cfg.Timeout > 0 {
		opts = append(opts, WithTimeout(cfg.Timeout))
	}
	switch {
	case cfg.Token != "":
		opts = append(opts, WithBearerToken(cfg.Token))
	case cfg.Username != "":
		opts = append(opts, WithBasicAuth(cfg.Username, cfg.Password))
	}
	if strings.HasPrefix(cfg.AdminURL, "https:") {
		t, err := kafka.TLSConfig(&ir.TLS{Enabled: true, CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, InsecureSkipVerify: cfg.InsecureSkipVerify})
		if err != nil {
			return nil, fmt.Errorf("admin API TLS: %w", err)
		}
		opts = append(opts, WithTLS(t))
	}
	return NewAdminClient(cfg.AdminURL, append(opts, extra...)...)
}

// EffectiveMemoryLimit is the per-function memory limit a deployed module
// gets: memory_limit, or Redpanda's default when it is not set.
func (cfg *Config) EffectiveMemoryLimit() (limit int64, stated bool) {
	if cfg == nil || cfg.MemoryLimit == 0 {
		return DefaultMemoryLimit, false
	}
	return cfg.MemoryLimit, true
}

// sizeOf reads a byte size: a whole number of bytes, or a string such as
// "8MiB", "512 KiB", "1GiB" (binary units, as Redpanda's own sizes).
func sizeOf(v cty.Value) (int64, error) {
	switch v.Type() {
	case cty.Number:
		bf := v.AsBigFloat()
		if !bf.IsInt() || bf.Sign() <= 0 {
			return 0, fmt.Errorf("want a positive whole number of bytes or a size such as \"16MiB\", got %s", bf.Text('f', -1))
		}
		n, acc := bf.Int64()
		if acc != big.Exact {
			return 0, fmt.Errorf("%s bytes is too large", bf.Text('f', -1))
		}
		return n, nil
	case cty.String:
		return ParseSize(v.AsString())
	}
	return 0, fmt.Errorf("want a size such as \"16MiB\" or a number of bytes, got %s", v.Type().FriendlyName())
}

// sizeUnits are the units ParseSize accepts, lower-cased.
var sizeUnits = map[string]int64{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}

// ParseSize parses a byte size: "2097152", "2MiB", "512 KiB", "1.5GiB".
// Decimal units (kB, MB, GB) are refused rather than guessed at.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mul, ok := sizeUnits[unit]
	if !ok {
		hint := ""
		switch unit {
		case "k", "kb":
			hint = " (did you mean KiB?)"
		case "m", "mb":
			hint = " (did you mean MiB?)"
		case "g", "gb":
			hint = " (did you mean GiB?)"
		}
		return 0, fmt.Errorf("size %q: unknown unit %q%s; use B, KiB, MiB or GiB", s, t[i:], hint)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("size %q: want a number followed by B, KiB, MiB or GiB", s)
	}
	n := f * float64(mul)
	if n < 1 || n > math.MaxInt64/2 || n != math.Trunc(n) {
		return 0, fmt.Errorf("size %q: want a positive whole number of bytes", s)
	}
	return int64(n), nil
}

// FormatSize renders a byte count for people: "2 MiB", "9.5 MiB", "812 KiB".
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	s := strconv.FormatFloat(f, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + units[u]
}

// didYouMean suggests the closest setting name.
func didYouMean(given string) string { return suggest.Hint(given, AttributeNames()) }
