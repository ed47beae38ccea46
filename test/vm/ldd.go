package vm

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// sharedLibs lists the shared libraries a host executable loads, the
// dynamic loader among them, as ldd(1) resolves them: the VM has no
// libraries but those the initramfs carries, at the same paths. A static
// executable has none (ldd then says "not a dynamic executable" and exits
// 1). The vDSO is the kernel's, not a file.
func sharedLibs(exe string) ([]string, error) {
	out, err := exec.Command("ldd", exe).CombinedOutput()
	if bytes.Contains(out, []byte("not a dynamic executable")) || bytes.Contains(out, []byte("statically linked")) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %v: %s", exe, err, out)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		// "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "=>" {
			f = f[2:]
		}
		if len(f) > 0 && filepath.IsAbs(f[0]) {
			libs = append(libs, f[0])
		} else if strings.Contains(line, "not found") {
			return nil, fmt.Errorf("ldd %s: %s", exe, strings.TrimSpace(line))
		}
	}
	return libs, nil
}
