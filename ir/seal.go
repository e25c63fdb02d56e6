//go:build !wasip1

// Left out of GOOS=wasip1 builds with hash.go: see Hash.

package ir

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// sensitiveValues calls f for every sensitive value of the pipeline, in a
// fixed order, with a pointer to set it through.
func (pl *Pipeline) sensitiveValues(fn func(kind, name string, c *Const)) {
	f := fn
	for _, kind := range []string{"var", "local"} {
		m := pl.Vars
		if kind == "local" {
			m = pl.Locals
		}
		names := make([]string, 0, len(m))
		for n, c := range m {
			if c.Sensitive {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			c := m[n]
			f(kind, n, &c)
			m[n] = c
		}
	}
	for _, b := range pl.Backends {
		names := make([]string, 0, len(b.Attributes))
		for n, c := range b.Attributes {
			if c.Sensitive {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			c := b.Attributes[n]
			f("backend", b.Name+"."+n, &c)
			b.Attributes[n] = c
		}
	}
	if pl.Broker != nil && pl.Broker.SASL != nil && pl.Broker.SASL.Password != "" {
		c := Const{Value: stringVal(pl.Broker.SASL.Password), Sensitive: true}
		f("broker", "sasl.password", &c)
		pl.Broker.SASL.Password = c.Value.AsString()
	}
	for _, r := range pl.SchemaRegistries {
		for _, f := range []struct {
			name string
			v    *string
		}{{"password", &r.Password}, {"token", &r.Token}} {
			if *f.v != "" {
				c := Const{Value: stringVal(*f.v), Sensitive: true}
				fn("schema_registry", r.Name+"."+f.name, &c)
				*f.v = c.Value.AsString()
			}
		}
	}
}

func secretHash(salt []byte, kind, name string, c Const) string {
	mac := hmac.New(sha256.New, salt)
	t, _ := ctyjson.MarshalType(c.Value.Type())
	v, _ := ctyjson.Marshal(c.Value, c.Value.Type())
	fmt.Fprintf(mac, "%d:%s;%d:%s;%d:%s;%d:%s;", len(kind), kind, len(name), name, len(t), t, len(v), v)
	return hex.EncodeToString(mac.Sum(nil))
}

// NewSalt returns a random salt for Sealed.
func NewSalt() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Sealed returns a deep copy of p for saving (plan -out): every sensitive
// value replaced as Redacted does, and listed in Secrets with its hash
// keyed by salt (SecretSalt). Sealing the same plan with the same salt
// gives the same bytes, which is how apply compares a saved plan with the
// one its spec gives now.
func (p *Plan) Sealed(salt string) (*Plan, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("seal plan: %w", err)
	}
	var c Plan
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("seal plan: %w", err)
	}
	key, err := hex.DecodeString(salt)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("seal plan: invalid salt")
	}
	c.SecretSalt, c.Secrets = salt, nil
	c.Pipeline.sensitiveValues(func(kind, name string, v *Const) {
		c.Secrets = append(c.Secrets, Secret{Kind: kind, Name: name, Hash: secretHash(key, kind, name, *v)})
		*v = redactConst(*v)
	})
	return &c, nil
}

// Unseal puts the sensitive values of from, a plan made from the same
// spec, into p, a sealed plan whose Secrets from's values must match.
func (p *Plan) Unseal(from *Plan) {
	var values []Const
	from.Pipeline.sensitiveValues(func(_, _ string, c *Const) { values = append(values, *c) })
	i := 0
	p.Pipeline.sensitiveValues(func(_, _ string, c *Const) {
		if i < len(values) {
			*c = values[i]
		}
		i++
	})
}
