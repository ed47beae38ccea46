package nsenter

/*
#include <stdlib.h>
#include "bridgeplug.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

// The pause stage plugs a rootless pod into the shared network's bridge
// itself (bridgeplug.c), as soon as it has made the pod's network
// namespace: EnvBridgePlug is what to plug (PlugSpec's words) and
// EnvBridgeNetnsFD the inherited descriptor of the shared network
// namespace, where the bridge is.
const (
	EnvBridgePlug    = "_PODCTL_BRIDGE_PLUG"
	EnvBridgeNetnsFD = "_PODCTL_BRIDGE_NETNS_FD"
)

// PlugSpec spells a plug as bridgeplug.c reads it: the bridge, the host
// side's name, the pod side's, the pod's address with its prefix length,
// the gateway, the MTU.
func PlugSpec(bridge, hostIf, peerIf, ip string, prefix int, gateway string, mtu int) string {
	return fmt.Sprintf("%s %s %s %s/%d %s %d", bridge, hostIf, peerIf, ip, prefix, gateway, mtu)
}

// BridgePlug plugs a pod, whose network namespace podNetns is, into the
// bridge of this process's network namespace: root's bridge, in the
// host's namespace (a rootless pod's stage does it instead). The C code is
// the stage's; the netlink socket of the pod's namespace is opened on a
// locked thread that enters it and comes back (a thread that cannot come
// back is never used again: its goroutine ends locked).
func BridgePlug(podNetns *os.File, spec string) error {
	defer runtime.KeepAlive(podNetns) // its descriptor is used until the end
	cs := C.CString(spec)
	defer C.free(unsafe.Pointer(cs))
	var p C.struct_podctl_plug
	if C.podctl_plug_parse(cs, &p) != 0 {
		return fmt.Errorf("plug %q: not BRIDGE HOSTIF PEERIF IP/PREFIX GATEWAY MTU", spec)
	}
	type opened struct {
		fd  C.int
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := C.podctl_nl_open_in(C.int(podNetns.Fd()))
		if fd != -2 {
			runtime.UnlockOSThread()
		}
		ch <- opened{fd, err}
	}()
	o := <-ch
	if o.fd == -2 {
		return fmt.Errorf("a netlink socket in the pod's network namespace: the thread could not return to the host's namespace (it is discarded): %w", o.err)
	}
	if o.fd < 0 {
		return fmt.Errorf("a netlink socket in the pod's network namespace: %w", o.err)
	}
	defer C.close(o.fd)
	nlBridge, err := C.podctl_nl_open()
	if nlBridge < 0 {
		return fmt.Errorf("a netlink socket in the host's network namespace: %w", err)
	}
	defer C.close(nlBridge)
	var why [320]C.char
	if r, err := C.podctl_bridge_plug(nlBridge, o.fd, C.int(podNetns.Fd()), &p, &why[0], C.size_t(len(why))); r != 0 {
		return fmt.Errorf("plugging the pod into %s: %s: %w", C.GoString(&p.bridge[0]), C.GoString(&why[0]), err)
	}
	return nil
}
