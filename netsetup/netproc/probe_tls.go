package netproc

import "crypto/tls"

// insecureTLS: the kubelet skips certificate verification for https
// probes (a pod's own certificate rarely names 127.0.0.1).
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // as the kubelet does
