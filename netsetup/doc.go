// Package netsetup gives a pod its network: the modes a pod can have, the
// helper process that connects a rootless pod to the outside (pasta or
// slirp4netns), published ports, and the pod's /etc/resolv.conf and
// /etc/hosts.
//
// A pod's network namespace is made by its pause (nsenter.c) with only a
// loopback interface; it is owned by the pod's user namespace, so nothing on
// the host can plug a veth into it without root. A rootless pod reaches the
// outside through a user-mode network stack instead: a helper process on the
// host joins the pod's user and network namespaces, creates a tap device
// there (tun(4) needs CAP_NET_ADMIN only in the namespace's owning user
// namespace), configures it, and then moves the packets the pod writes to
// that tap into ordinary sockets of the host, and back.
//
// Modes (podctl run --network):
//   - pasta (the default when installed): the pod gets the host's own
//     address and gateway, so nothing is NATed twice; local connections to
//     a published port are spliced between two sockets (splice(2)) instead
//     of going through the tap, which makes it several times faster than
//     slirp4netns, and the workload sees the real client address.
//   - slirp4netns: the older helper (10.0.2.0/24, gateway 10.0.2.2, DNS at
//     10.0.2.3); ports are added through its API socket. The workload sees
//     every published-port client as 10.0.2.2.
//   - none: loopback only.
//   - host: the pod keeps the host's network namespace (no isolation).
//
// A helper is a child of the pod's supervisor: it is started right after
// the pause, watched through a pidfd (a death is recorded in the pod's
// state and the helper is started again), and killed when the pod ends.
// Both helpers sandbox themselves: pasta by default (its own mount, ipc and
// uts namespaces, a seccomp filter, no capabilities), slirp4netns with
// --enable-sandbox and --enable-seccomp.
package netsetup
