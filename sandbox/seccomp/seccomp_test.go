package seccomp

import (
	"encoding/binary"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// run executes a compiled program in x/net/bpf's interpreter on a
// struct seccomp_data. The interpreter loads words big-endian, as packets
// are; the program compares whole words, so the test writes each word in
// that order and the meaning is the same as in the kernel.
func run(t *testing.T, prog []bpf.RawInstruction, arch, nr uint32, args ...uint64) uint32 {
	t.Helper()
	ins, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("the program does not disassemble")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[offNr:], nr)
	binary.BigEndian.PutUint32(data[offArch:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(data[offArgs+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[offArgs+8*i+4:], uint32(a>>32))
	}
	ret, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(ret)
}

var defaultCaps = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE",
	"SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

func compileDefault(t *testing.T, caps []string) []bpf.RawInstruction {
	t.Helper()
	p, err := Profile("", nil, caps)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

const eperm = retErrno | uint32(unix.EPERM)

func TestDefaultProfile(t *testing.T) {
	prog := compileDefault(t, defaultCaps)
	t.Logf("%d instructions", len(prog))
	x := uint32(auditArchX86_64)
	for _, c := range []struct {
		what string
		nr   uint32
		args []uint64
		want uint32
	}{
		{"read", unix.SYS_READ, nil, retAllow},
		{"execve", unix.SYS_EXECVE, nil, retAllow},
		{"keyctl", unix.SYS_KEYCTL, nil, eperm},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, nil, eperm},
		// docs/security.md: no bpf, perf_event_open or kexec.
		{"bpf", unix.SYS_BPF, nil, eperm},
		{"perf_event_open", unix.SYS_PERF_EVENT_OPEN, nil, eperm},
		{"kexec_load", unix.SYS_KEXEC_LOAD, nil, eperm},
		{"kexec_file_load", unix.SYS_KEXEC_FILE_LOAD, nil, eperm},
		{"mount", unix.SYS_MOUNT, nil, eperm},
		{"unshare", unix.SYS_UNSHARE, []uint64{unix.CLONE_NEWUSER}, eperm},
		{"setns", unix.SYS_SETNS, nil, eperm},
		{"clone of a thread", unix.SYS_CLONE, []uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, retAllow},
		{"clone with CLONE_NEWUSER", unix.SYS_CLONE, []uint64{unix.CLONE_NEWUSER | uint64(unix.SIGCHLD)}, eperm},
		// Flags above 32 bits never reach clone's namespace bits.
		{"clone with a high bit", unix.SYS_CLONE, []uint64{1<<40 | uint64(unix.SIGCHLD)}, retAllow},
		{"clone3", unix.SYS_CLONE3, nil, retErrno | uint32(unix.ENOSYS)},
		{"personality(PER_LINUX)", unix.SYS_PERSONALITY, []uint64{0}, retAllow},
		{"personality(0xffffffff) query", unix.SYS_PERSONALITY, []uint64{0xffffffff}, retAllow},
		{"personality(other)", unix.SYS_PERSONALITY, []uint64{0x1234}, eperm},
		{"socket(AF_INET)", unix.SYS_SOCKET, []uint64{unix.AF_INET}, retAllow},
		{"socket(AF_UNIX)", unix.SYS_SOCKET, []uint64{unix.AF_UNIX}, retAllow},
		{"socket(AF_VSOCK)", unix.SYS_SOCKET, []uint64{unix.AF_VSOCK}, eperm},
		{"x32 ABI", unix.SYS_READ | x32SyscallBit, nil, retErrno | uint32(unix.ENOSYS)},
	} {
		if got := run(t, prog, x, c.nr, c.args...); got != c.want {
			t.Errorf("%s: %#x, want %#x", c.what, got, c.want)
		}
	}
	// Another architecture's numbers mean other calls: killed.
	if got := run(t, prog, 0x40000003 /* AUDIT_ARCH_I386 */, 3); got != retKillProcess {
		t.Errorf("i386 call: %#x, want kill", got)
	}
	// With CAP_SYS_ADMIN the profile lets mount and unshare through.
	admin := compileDefault(t, append(defaultCaps, "SYS_ADMIN"))
	for _, nr := range []uint32{unix.SYS_MOUNT, unix.SYS_UNSHARE, unix.SYS_SETNS} {
		if got := run(t, admin, x, nr); got != retAllow {
			t.Errorf("with SYS_ADMIN, call %d: %#x", nr, got)
		}
	}
}

// Every comparison, across the 32-bit halves of 64-bit arguments.
func TestOperators(t *testing.T) {
	const big = 0x1_0000_0005
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	add := func(name string, op specs.LinuxSeccompOperator, v, v2 uint64) {
		prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 1, Value: v, ValueTwo: v2, Op: op}}})
	}
	add("read", specs.OpEqualTo, big, 0)
	add("write", specs.OpNotEqual, big, 0)
	add("openat", specs.OpGreaterThan, big, 0)
	add("close", specs.OpGreaterEqual, big, 0)
	add("lseek", specs.OpLessThan, big, 0)
	add("fstat", specs.OpLessEqual, big, 0)
	add("mmap", specs.OpMaskedEqual, 0xf0_0000_00f0, 0x10_0000_0010)
	prog, err := Compile(prof)
	if err != nil {
		t.Fatal(err)
	}
	x := uint32(auditArchX86_64)
	for _, c := range []struct {
		name string
		nr   uint32
		ok   []uint64
		no   []uint64
	}{
		{"==", unix.SYS_READ, []uint64{big}, []uint64{5, big + 1, 0x2_0000_0005}},
		{"!=", unix.SYS_WRITE, []uint64{5, big + 1, 0x2_0000_0005}, []uint64{big}},
		{">", unix.SYS_OPENAT, []uint64{big + 1, 0x2_0000_0000}, []uint64{big, 5, 0xffff_ffff}},
		{">=", unix.SYS_CLOSE, []uint64{big, big + 1, 0x2_0000_0000}, []uint64{big - 1, 0xffff_ffff}},
		{"<", unix.SYS_LSEEK, []uint64{big - 1, 0xffff_ffff, 0}, []uint64{big, 0x2_0000_0000}},
		{"<=", unix.SYS_FSTAT, []uint64{big, 0xffff_ffff}, []uint64{big + 1, 0x2_0000_0000}},
		{"&==", unix.SYS_MMAP, []uint64{0x10_0000_0010, 0x1f_0000_001f}, []uint64{0x10, 0x20_0000_0010, 0x10_0000_0020}},
	} {
		for _, v := range c.ok {
			if got := run(t, prog, x, c.nr, 0, v); got != retAllow {
				t.Errorf("%s %#x: %#x, want allow", c.name, v, got)
			}
		}
		for _, v := range c.no {
			if got := run(t, prog, x, c.nr, 0, v); got != eperm {
				t.Errorf("%s %#x: %#x, want EPERM", c.name, v, got)
			}
		}
	}
}

// Two conditions on one argument are alternatives, as in runc; on two
// arguments, both must hold.
func TestAlternatives(t *testing.T) {
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{
		Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo},
			{Index: 1, Value: 7, Op: specs.OpEqualTo}}}}}
	prog, err := Compile(prof)
	if err != nil {
		t.Fatal(err)
	}
	x := uint32(auditArchX86_64)
	for _, c := range []struct {
		a0, a1 uint64
		want   uint32
	}{{1, 7, retAllow}, {2, 7, retAllow}, {3, 7, eperm}, {1, 8, eperm}} {
		if got := run(t, prog, x, unix.SYS_SOCKET, c.a0, c.a1); got != c.want {
			t.Errorf("socket(%d, %d): %#x, want %#x", c.a0, c.a1, got, c.want)
		}
	}
}
