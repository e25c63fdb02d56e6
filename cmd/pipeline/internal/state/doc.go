// Package state is apply's record of what it deployed: a JSON file beside
// the spec (.pipeline/state.json, mode 0600), locked while a command uses it,
// so plan can say what moves and a saved plan made against an older state is
// refused.
//
// It must not know about operator semantics or how backends run.
package state
