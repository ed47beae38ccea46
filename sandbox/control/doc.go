// Package control is the protocol of a pod's control socket, between the
// pod API (sandbox) and the pod's supervisor (sandbox/supervisor/
// controlserve.go): one JSON request and one reply per SOCK_SEQPACKET
// connection, the caller checked by SO_PEERCRED.
package control
