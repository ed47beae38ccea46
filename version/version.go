// Package version holds podctl's version: one string, stamped into every
// binary at build time (the Makefile's -X of `git describe --tags --always
// --dirty`), which podctl --version, podctl version, every helper's
// --version and the CRI's RuntimeVersion (crictl version, crictl info)
// report alike.
package version

// Version is "dev" in a binary built without the Makefile (go build,
// go test).
var Version = "dev"
