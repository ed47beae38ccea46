// Package stdio is a container's standard streams on the host side: the
// pipes a run gets (pipes.go: /dev/null, podctl run -i's input relayed,
// a stdin pipe kept for attach, the output pipes a log pump reads), the
// attach sessions' copies of its output (taps.go), the foreground
// terminal's copy with each line prefixed by its container (prefix.go),
// and descriptor helpers (fd.go). The supervisor owns the pumps and the
// sessions; this package owns no goroutine but the stdin relay.
package stdio
