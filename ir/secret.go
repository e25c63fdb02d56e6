package ir

// Secret identifies one sensitive value of a sealed plan by where it is
// and a salted hash of it, never the value: apply takes the value again
// (-var, -var-file, the environment) and refuses one whose hash differs.
type Secret struct {
	// Kind is var, local, backend (Name is backend.attribute), broker
	// (Name is sasl.password) or schema_registry (Name is NAME.password or
	// NAME.token).
	Kind string `json:"kind"`
	Name string `json:"name"`
	Hash string `json:"hash"` // hex HMAC-SHA256 keyed by the plan's salt
}
