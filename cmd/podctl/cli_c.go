package main

// podctl_cli tells nsenter's C constructor that this binary is the CLI:
// only here does `exec` fork its join stage before the Go runtime and take
// the C path of the plain form (nsenter/nsenter.c, nsenter/execfast.c).
// The other binaries linking nsenter leave it undefined (a weak reference).

// int podctl_cli = 1;
import "C"
