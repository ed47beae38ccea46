package nsenter

// #include <stdlib.h>
// #include "handover.h"
import "C"
import "unsafe"

// HelperFor names the helper binary that carries out podctl's command cmd
// (sub: the word after it, "" if none), or "" if podctl does: the table of
// handover.c, which podctl's C constructor uses to exec the helper before
// any Go runtime; the CLI's fallback asks it too.
func HelperFor(cmd, sub string) string {
	ccmd, csub := C.CString(cmd), C.CString(sub)
	defer C.free(unsafe.Pointer(ccmd))
	defer C.free(unsafe.Pointer(csub))
	if h := C.podctl_helper_for(ccmd, csub); h != nil {
		return C.GoString(h)
	}
	return ""
}
