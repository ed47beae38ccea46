// Package podnet is a pod's network glue on the host side, between the
// supervisor and netsetup (which knows the helpers and the kernel's
// interfaces). It takes what it needs as arguments and hooks, not as
// supervisor methods:
//
//	helper.go  Glue: start, wait for, watch, restart and stop the pod's helper
//	           (pasta, slirp4netns, or the bridge pods' port forwarder)
//	bridge.go  the shared network of --network bridge: its holder, leases, filter
//	bypass.go  --port-bypass: a published port's listener made in the host's
//	           namespace through a seccomp user notification
package podnet
