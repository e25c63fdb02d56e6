package ir

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Schema is the type of the records an operator emits: a cty object type
// (cty.DynamicPseudoType when a source declares no schema). It encodes with
// go-cty's type JSON, which is deterministic.
type Schema struct {
	cty.Type
}

// MarshalJSON implements json.Marshaler.
func (s Schema) MarshalJSON() ([]byte, error) {
	if s.Type == cty.NilType {
		return []byte("null"), nil
	}
	return ctyjson.MarshalType(s.Type)
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *Schema) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		s.Type = cty.NilType
		return nil
	}
	t, err := ctyjson.UnmarshalType(b)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	s.Type = t
	return nil
}

// Const is a value fixed at plan time: a resolved variable or local.
type Const struct {
	Value     cty.Value
	Sensitive bool
}

type constJSON struct {
	Type      json.RawMessage `json:"type"`
	Value     json.RawMessage `json:"value"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (c Const) MarshalJSON() ([]byte, error) {
	t, err := ctyjson.MarshalType(c.Value.Type())
	if err != nil {
		return nil, err
	}
	v, err := ctyjson.Marshal(c.Value, c.Value.Type())
	if err != nil {
		return nil, err
	}
	return json.Marshal(constJSON{Type: t, Value: v, Sensitive: c.Sensitive})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Const) UnmarshalJSON(b []byte) error {
	var raw constJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	t, err := ctyjson.UnmarshalType(raw.Type)
	if err != nil {
		return fmt.Errorf("constant type: %w", err)
	}
	v, err := ctyjson.Unmarshal(raw.Value, t)
	if err != nil {
		return fmt.Errorf("constant value: %w", err)
	}
	c.Value, c.Sensitive = v, raw.Sensitive
	return nil
}

func stringVal(s string) cty.Value { return cty.StringVal(s) }
