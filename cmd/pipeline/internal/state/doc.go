// Package state is apply's record of what it deployed: a JSON file beside
// the spec (.pipeline/state.json, mode 0600), so plan can say what moves,
// what happens to each stateful operator's state and each consumer's
// offsets (it records stage identities, consumer groups, input topics,
// stateful operators' shapes and renames), and a saved plan made against
// an older state is refused. It also owns the state lock
// (.pipeline/state.lock), which names its holder.
//
// It must not know about operator semantics or how backends run: shapes
// are stored as ir.StateShape, compared elsewhere.
package state
