// Package plainjson writes and reads JSON exactly as encoding/json's
// MarshalIndent(v, "", "  ") and Unmarshal do, for plain struct graphs:
// structs with json tags (a name, omitempty) and untagged embedded
// structs, strings, booleans, integers, pointers, slices, string-keyed maps
// and json.Marshalers/Unmarshalers such as time.Time. Anything else is an
// UnsupportedError.
//
// Why not encoding/json: it builds each type's encoder and decoder by
// reflection on the type's first use in a process (typeFields: every
// field's name in four escapings, sorted twice, dominance maps). For a
// pod's state (31 types, ~210 fields) that cost every podctl run ~1.5-2.5
// ms and ~45 fresh pages before its workload, and every exec ~57 pages
// before it found its pod (docs/benchmarks.md, "fifth step"). This package
// keeps one short list of fields per struct type.
//
// The caller keeps the proof: sandbox/model's tests compare both
// directions with encoding/json on its whole state, every field set, and
// on thousands of damaged state files.
package plainjson
