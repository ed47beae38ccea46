package seccomp

import (
	"encoding/binary"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// FuzzFilterDecides: the compiled filter decides every call as the profile
// says. The fuzzer's bytes make a profile (a default action; rules of a
// few system calls, with argument conditions of every operator) and a
// call (architecture, number, six arguments); the filter runs in x/net's
// BPF interpreter on that struct seccomp_data, and its verdict must be
// the one that reading the profile gives (decide, below: rules of a call
// in order, the first that matches wins; conditions on different
// arguments all must hold, conditions on one argument are alternatives).
func FuzzFilterDecides(f *testing.F) {
	f.Add([]byte{1, 2, 0, 3, 1, 0, 5, 2, 0, 9, 1, 2, 3, 4}, []byte{0, 1, 2, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 3, 5, 2, 2, 1, 6, 0, 7, 1, 0, 3, 3, 8, 2, 4, 4, 9}, []byte{0, 5, 7, 1, 2, 3, 4, 5})
	f.Add([]byte{2, 4, 1, 1, 3, 0, 1, 1, 1, 1, 2, 0, 3, 3, 3, 3, 4, 0, 5, 5}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	// A bulk rule of 103 calls (profileFrom): a tree with inner nodes. The
	// fuzzer found this one in 0.3 s with the tree's "nr >= middle" test
	// off by one; without bulk rules it ran 40 s without finding anything.
	f.Add([]byte("100A\xe71"), []byte("0Q"))
	f.Fuzz(func(t *testing.T, profile, call []byte) {
		prof := profileFrom(profile)
		raw, err := Compile(prof)
		if err != nil {
			return // too large for 8-bit jumps: refused, not miscompiled
		}
		prog, ok := bpf.Disassemble(raw)
		if !ok {
			t.Fatalf("the compiled program does not disassemble")
		}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatalf("the compiled program is not valid BPF: %v", err)
		}
		arch, nr, args := callFrom(call)
		got, err := vm.Run(seccompData(arch, nr, args))
		if err != nil {
			t.Fatalf("running the filter: %v", err)
		}
		if want := decide(t, prof, arch, nr, args); uint32(got) != want {
			t.Fatalf("arch %#x nr %d args %#x: the filter returns %#x, the profile says %#x\nprofile: %+v", arch, nr, args, uint32(got), want, prof)
		}
	})
}

// TestFilterDecidesCatchesMiscompilation is the fuzz target's positive
// control: a program with one rule's test inverted is caught.
func TestFilterDecidesCatchesMiscompilation(t *testing.T) {
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 2, Op: specs.OpEqualTo}}},
	}}
	raw, err := Compile(prof)
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := bpf.Disassemble(raw)
	// Break it: the argument's low word test jumps the other way.
	broken := false
	for i := len(prog) - 1; i >= 0 && !broken; i-- {
		if j, ok := prog[i].(bpf.JumpIf); ok && j.Val == 2 {
			j.SkipTrue, j.SkipFalse = j.SkipFalse, j.SkipTrue
			prog[i], broken = j, true
		}
	}
	vm, err := bpf.NewVM(prog)
	if err != nil || !broken {
		t.Fatalf("could not break the program: %v", err)
	}
	args := [6]uint64{2}
	got, _ := vm.Run(seccompData(auditArchX86_64, sysnums()["socket"], args))
	if want := decide(t, prof, auditArchX86_64, sysnums()["socket"], args); uint32(got) == want {
		t.Fatalf("a broken program decided socket(2) as the profile says (%#x): the check cannot fail", want)
	}
}

// The fuzzer's vocabulary: calls of this architecture, actions, operators,
// and values near the edges of 32 and 64 bits, so that rules match often.
var (
	fuzzCalls   = []string{"read", "write", "socket", "clone", "mkdir", "bind", "kill", "personality", "ioctl", "openat"}
	fuzzActions = []specs.LinuxSeccompAction{specs.ActAllow, specs.ActErrno, specs.ActKillProcess, specs.ActKill, specs.ActTrap, specs.ActLog, specs.ActNotify, specs.ActTrace}
	fuzzOps     = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpMaskedEqual}
	fuzzValues  = []uint64{0, 1, 2, 10, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 1<<32 | 2, 0xffffffff00000000, ^uint64(0), 0x7e020000}
)

// byteReader hands out the fuzzer's bytes, zeros once they run out.
type byteReader struct{ b []byte }

func (r *byteReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := int(r.b[0])
	r.b = r.b[1:]
	return v
}

func profileFrom(b []byte) *specs.LinuxSeccomp {
	r := &byteReader{b}
	p := &specs.LinuxSeccomp{DefaultAction: fuzzActions[r.next()%len(fuzzActions)]}
	errno := uint(r.next())
	p.DefaultErrnoRet = &errno
	for n := r.next() % 6; n > 0; n-- {
		sc := specs.LinuxSyscall{Names: []string{fuzzCalls[r.next()%len(fuzzCalls)]}, Action: fuzzActions[r.next()%len(fuzzActions)]}
		if e := uint(r.next()); e%2 == 1 {
			sc.ErrnoRet = &e
		}
		for a := r.next() % 4; a > 0; a-- {
			sc.Args = append(sc.Args, specs.LinuxSeccompArg{Index: uint(r.next() % 6), Op: fuzzOps[r.next()%len(fuzzOps)],
				Value: fuzzValues[r.next()%len(fuzzValues)], ValueTwo: fuzzValues[r.next()%len(fuzzValues)]})
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	// A bulk rule of up to 127 calls of the whole table, every stride-th
	// from a start: enough numbers that the compiled filter is a search
	// tree with inner nodes and far jumps, not one leaf of ten tests.
	if bulk := r.next() % 128; bulk > 0 {
		names := allCallNames()
		start, stride := r.next(), 1+r.next()%5
		sc := specs.LinuxSyscall{Action: fuzzActions[r.next()%len(fuzzActions)]}
		for i := 0; i < bulk; i++ {
			sc.Names = append(sc.Names, names[(start+i*stride)%len(names)])
		}
		p.Syscalls = append(p.Syscalls, sc)
	}
	return p
}

// allCallNames are the names of this architecture's calls, by number.
func allCallNames() []string {
	nums := sysnums()
	names := make([]string, 0, len(nums))
	for name := range nums {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return int(nums[a]) - int(nums[b]) })
	return names
}

func callFrom(b []byte) (arch, nr uint32, args [6]uint64) {
	r := &byteReader{b}
	arch = auditArchX86_64
	if r.next() == 1 {
		arch = 0x40000003 // AUDIT_ARCH_I386
	}
	switch v := r.next(); {
	case v < len(fuzzCalls):
		nr = sysnums()[fuzzCalls[v]]
	case v == 255:
		nr = x32SyscallBit | 41
	case v == 254:
		nr = uint32(254 + r.next()*2) // the numbers past one byte, to 764
	default:
		nr = uint32(v)
	}
	for i := range args {
		args[i] = fuzzValues[r.next()%len(fuzzValues)]
	}
	return arch, nr, args
}

// seccompData lays out struct seccomp_data for x/net's interpreter, which
// loads 32-bit words big-endian where the kernel loads them in the
// machine's order: each word is stored big-endian so that both read the
// same value.
func seccompData(arch, nr uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[offNr:], nr)
	binary.BigEndian.PutUint32(b[offArch:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(b[offArgs+8*i:], uint32(a))       // low word first, as on x86_64
		binary.BigEndian.PutUint32(b[offArgs+8*i+4:], uint32(a>>32)) // then the high word
	}
	return b
}

// decide is the profile read as documentation: what a call gets.
func decide(t *testing.T, p *specs.LinuxSeccomp, arch, nr uint32, args [6]uint64) uint32 {
	ret := func(a specs.LinuxSeccompAction, errno *uint) uint32 {
		v, err := action(a, errno)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if arch != auditArchX86_64 {
		return retKillProcess
	}
	if nr >= x32SyscallBit {
		return retErrno | uint32(unix.ENOSYS)
	}
	for _, sc := range p.Syscalls {
		for _, name := range sc.Names {
			if n, ok := sysnums()[name]; !ok || n != nr {
				continue // not this call, or not a call of this architecture
			}
			if ruleHolds(sc.Args, args) {
				return ret(sc.Action, sc.ErrnoRet)
			}
		}
	}
	return ret(p.DefaultAction, p.DefaultErrnoRet)
}

// ruleHolds: for every argument that conditions name, one of its
// conditions holds (read independently of the compiler's alternatives).
func ruleHolds(conds []specs.LinuxSeccompArg, args [6]uint64) bool {
	named, held := map[uint]bool{}, map[uint]bool{}
	for _, c := range conds {
		named[c.Index] = true
		if holds(c, args[c.Index]) {
			held[c.Index] = true
		}
	}
	return len(named) == len(held)
}

func holds(c specs.LinuxSeccompArg, a uint64) bool {
	switch c.Op {
	case specs.OpEqualTo:
		return a == c.Value
	case specs.OpNotEqual:
		return a != c.Value
	case specs.OpGreaterThan:
		return a > c.Value
	case specs.OpGreaterEqual:
		return a >= c.Value
	case specs.OpLessThan:
		return a < c.Value
	case specs.OpLessEqual:
		return a <= c.Value
	case specs.OpMaskedEqual:
		return a&c.Value == c.ValueTwo
	}
	return false
}

// The default profile, compiled (its search tree, the jumps past 8 bits
// to its upper halves and to the rules, included), decides every system
// call number as the profile reads, for argument values near the edges.
func TestDefaultProfileDecides(t *testing.T) {
	for _, caps := range [][]string{defaultCaps, nil} {
		prof, err := Profile("", nil, caps)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := Compile(prof)
		if err != nil {
			t.Fatal(err)
		}
		prog, _ := bpf.Disassemble(raw)
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatal(err)
		}
		for nr := uint32(0); nr < 512; nr++ {
			for _, v := range fuzzValues {
				args := [6]uint64{v, v, v, v, v, v}
				got, err := vm.Run(seccompData(auditArchX86_64, nr, args))
				if err != nil {
					t.Fatal(err)
				}
				if want := decide(t, prof, auditArchX86_64, nr, args); uint32(got) != want {
					t.Fatalf("caps %v: call %d, arguments %#x: the filter returns %#x, the profile says %#x", caps, nr, v, got, want)
				}
			}
		}
	}
}

// A profile large enough that the tree's upper halves lie beyond a
// conditional jump's 8 bits (every call named: every fifth with an
// argument rule, the others each with one of 9 errnos, so a leaf has many
// returns) decides every call number as the profile reads.
func TestLargeProfileDecides(t *testing.T) {
	prof := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	withRules := map[uint32]bool{}
	for name, nr := range sysnums() {
		if nr%5 == 0 {
			withRules[nr] = true
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActLog,
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 7, Op: specs.OpEqualTo}}})
		} else {
			errno := uint(nr%9 + 1)
			prof.Syscalls = append(prof.Syscalls, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActErrno, ErrnoRet: &errno})
		}
	}
	raw, err := Compile(prof)
	if err != nil {
		t.Fatal(err)
	}
	// One unconditional jump per call with rules, to them; the rest
	// are the tree's, to upper halves: the case this test is for.
	jumps := 0
	for _, in := range raw {
		if in.Op == 0x05 { // BPF_JMP | BPF_JA
			jumps++
		}
	}
	if jumps <= len(withRules) {
		t.Fatalf("%d unconditional jumps for %d calls with rules: the tree never jumps past 8 bits", jumps, len(withRules))
	}
	for nr := uint32(0); nr < 512; nr++ {
		for _, v := range fuzzValues {
			args := [6]uint64{v, v, v, v, v, v}
			if got, want := run(t, raw, auditArchX86_64, nr, args[:]...), decide(t, prof, auditArchX86_64, nr, args); got != want {
				t.Fatalf("call %d, arguments %#x: the filter returns %#x, the profile says %#x", nr, v, got, want)
			}
		}
	}
}
