// Package seccomp turns a seccomp profile (moby's default, or a custom one
// in docker's JSON format) into a classic BPF program for seccomp(2), in
// Go, without libseccomp, and installs it.
//
// The profile comes from github.com/moby/profiles/seccomp, which also
// resolves its conditions (a rule kept only with CAP_SYS_ADMIN, say)
// against the container's capabilities. What this package adds is the
// compiler: the kernel runs the program on every system call of the
// workload, with the call's number, architecture and arguments in a
// struct seccomp_data (seccomp(2)), and the program's return value decides.
package seccomp

//go:generate go run gen_sysnum.go

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unsafe"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16 // args[i] at 16 + 8*i: low word first (little-endian)
)

const (
	auditArchX86_64 = 0xc000003e // AUDIT_ARCH_X86_64
	x32SyscallBit   = 0x40000000 // __X32_SYSCALL_BIT
)

// Return values (linux/seccomp.h).
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retUserNotif   = 0x7fc00000 // SECCOMP_RET_USER_NOTIF: a listener decides (seccomp_unotify(2))
	retAllow       = 0x7fff0000
)

// Profile loads the profile for capabilities caps (names without CAP_):
// moby's default when path is "", or the JSON profile content, read from
// path (named in errors).
func Profile(path string, content []byte, caps []string) (*specs.LinuxSeccomp, error) {
	var full []string
	for _, c := range caps {
		full = append(full, "CAP_"+c)
	}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: full}}}
	if path == "" {
		return mobyseccomp.GetDefaultProfile(rs)
	}
	p, err := mobyseccomp.LoadProfile(string(content), rs)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile %s: %w", path, err)
	}
	if p == nil {
		return nil, fmt.Errorf("seccomp profile %s: no defaultAction and no syscalls; use --security-opt seccomp=unconfined to run without one", path)
	}
	return p, nil
}

// action is the return value of a profile action.
func action(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	switch a {
	case specs.ActAllow:
		return retAllow, nil
	case specs.ActErrno:
		e := uint32(unix.EPERM)
		if errnoRet != nil {
			e = uint32(*errnoRet)
		}
		return retErrno | e&0xffff, nil
	case specs.ActKill, specs.ActKillThread:
		return retKillThread, nil
	case specs.ActKillProcess:
		return retKillProcess, nil
	case specs.ActTrap:
		return retTrap, nil
	case specs.ActTrace:
		return retTrace | uint32(unix.EPERM), nil
	case specs.ActLog:
		return retLog, nil
	case specs.ActNotify:
		return retUserNotif, nil
	}
	return 0, fmt.Errorf("seccomp action %q is not supported", a)
}

// program builds code with symbolic jumps: each conditional jump names
// the index of the instruction it goes to, resolved by assemble.
type program struct {
	ins    []bpf.Instruction
	jt, jf []int // targets (-1: next instruction), per instruction; a Jump's in jt

	byNr   map[uint32][]rule // the profile's rules by call number
	def    uint32            // the default action
	bodies []body            // calls whose rules follow the tree
}

func (p *program) emit(in bpf.Instruction, jt, jf int) int {
	p.ins = append(p.ins, in)
	p.jt = append(p.jt, jt)
	p.jf = append(p.jf, jf)
	return len(p.ins) - 1
}

// Compile turns a resolved profile into a BPF program for x86_64.
//
// Layout: check the architecture (anything but x86_64, 32-bit int 0x80
// calls included, is killed: their numbers mean other calls); refuse the
// x32 ABI; then find the call's number in a binary search tree over the
// numbers the profile names (tree), whose leaves return the action of a
// call that matches unconditionally, or jump to the call's rules, placed
// after the tree: each a chain of argument tests that returns the rule's
// action. A call that matches no rule gets the default action. Rules of
// one call are alternatives (any may match), the argument tests of a rule
// all must hold, as in libseccomp.
//
// Why a tree and not a chain of "nr == N?" tests: the kernel runs the
// program once per system call number and architecture when it is loaded
// (seccomp_cache_prepare, Linux >= 5.11), to find the calls it may allow
// without running it again. Through a chain of ~360 tests, ~250 steps a
// number, loading it cost ~0.39 ms at every container start and exec
// here; through the tree (~20 steps) ~0.19 ms. The workload's calls that
// the cache does not cover (those with argument rules, and every denied
// one) also take ~20 steps instead of up to ~500. The tree uses only what
// that emulation follows (loads of the number and architecture, jumps on
// constants, returns): a call the profile allows outright stays cached.
func Compile(prof *specs.LinuxSeccomp) ([]bpf.RawInstruction, error) {
	def, err := action(prof.DefaultAction, prof.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	byNr := map[uint32][]rule{}
	for _, sc := range prof.Syscalls {
		ret, err := action(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, err
		}
		for _, name := range sc.Names {
			nr, ok := sysnums()[name]
			if !ok {
				continue // not a call of this architecture, as libseccomp skips it
			}
			for _, args := range alternatives(sc.Args) {
				byNr[nr] = append(byNr[nr], rule{ret, args})
			}
		}
	}
	// The tree needs only the calls whose decision is not the default's.
	var nrs []uint32
	for nr, rules := range byNr {
		if ret, ok := unconditional(rules); ok && ret == def {
			continue
		}
		nrs = append(nrs, nr)
	}
	slices.Sort(nrs)

	p := &program{byNr: byNr, def: def}
	p.emit(bpf.LoadAbsolute{Off: offArch, Size: 4}, -1, -1)
	archOK := len(p.ins) + 2
	p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditArchX86_64}, archOK, -1)
	p.emit(bpf.RetConstant{Val: retKillProcess}, -1, -1)
	p.emit(bpf.LoadAbsolute{Off: offNr, Size: 4}, -1, -1)
	x32 := p.emit(bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32SyscallBit}, -1, 0)
	p.emit(bpf.RetConstant{Val: retErrno | uint32(unix.ENOSYS)}, -1, -1)
	p.jf[x32] = len(p.ins)
	if len(nrs) == 0 {
		p.emit(bpf.RetConstant{Val: def}, -1, -1)
	} else {
		p.tree(nrs)
	}
	// The rules of the calls that have conditions, each reached by an
	// unconditional jump (32-bit offset) from its leaf.
	for _, b := range p.bodies {
		p.jt[b.from] = len(p.ins)
		if err := p.rules(b.nr); err != nil {
			return nil, err
		}
	}
	return p.assemble()
}

// maxLeaf is the most call numbers a leaf of the tree tests one by one.
// The kernel's checks and translation of a program at load cost ~0.13 µs
// an instruction here, its emulation ~2 ns a step: of 8, 16, 32 and 64,
// 16 and 32 loaded fastest (~190 µs, against ~390 µs for the chain of
// tests before), and 16 keeps a lookup under ~30 steps.
const maxLeaf = 16

// tree emits the search for the accumulator's call number among nrs
// (sorted): "nr >= middle?" then the half it is in, down to leaves.
func (p *program) tree(nrs []uint32) {
	if len(nrs) <= maxLeaf {
		p.leaf(nrs)
		return
	}
	mid := len(nrs) / 2
	ge := p.emit(bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: nrs[mid]}, -1, -1)
	if p.treeSize(nrs[:mid]) > 255 {
		// The upper half lies farther than a conditional jump's 8 bits
		// reach: the test falls through to an unconditional jump to it,
		// and skips that jump for the lower half.
		up := p.emit(bpf.Jump{}, -1, -1)
		p.jf[ge] = len(p.ins)
		p.tree(nrs[:mid])
		p.jt[up] = len(p.ins)
	} else {
		p.jf[ge] = len(p.ins)
		p.tree(nrs[:mid])
		p.jt[ge] = len(p.ins)
	}
	p.tree(nrs[mid:])
}

// treeSize is the number of instructions tree emits for nrs: it emits
// them into a scratch program, so the count cannot drift from the code.
func (p *program) treeSize(nrs []uint32) int {
	scratch := &program{byNr: p.byNr, def: p.def}
	scratch.tree(nrs)
	return len(scratch.ins)
}

// leaf emits "nr == N?" for each of nrs; if none is, the default action.
// Calls that match unconditionally jump to their action's return, one per
// action in the leaf; the others to a jump to their rules (Compile).
func (p *program) leaf(nrs []uint32) {
	tests := make([]int, len(nrs))
	for i, nr := range nrs {
		tests[i] = p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr}, -1, -1)
	}
	p.emit(bpf.RetConstant{Val: p.def}, -1, -1)
	returns := map[uint32]int{}
	for i, nr := range nrs {
		ret, ok := unconditional(p.byNr[nr])
		if !ok {
			p.jt[tests[i]] = p.emit(bpf.Jump{}, -1, -1)
			p.bodies = append(p.bodies, body{nr: nr, from: p.jt[tests[i]]})
			continue
		}
		if _, seen := returns[ret]; !seen {
			returns[ret] = p.emit(bpf.RetConstant{Val: ret}, -1, -1)
		}
		p.jt[tests[i]] = returns[ret]
	}
}

// rules emits the rules of call nr, in order: the first that matches
// returns its action; if none does, the default action.
func (p *program) rules(nr uint32) error {
	// A matched rule's tests may overwrite the accumulator (the call's
	// number): nothing after them needs it.
	var fails []int // jumps to the next rule of this call
	for _, r := range p.byNr[nr] {
		for _, f := range fails {
			p.setTarget(f, len(p.ins))
		}
		fails = fails[:0]
		for _, a := range r.args {
			fs, err := p.argTest(a)
			if err != nil {
				return fmt.Errorf("system call %d: %w", nr, err)
			}
			fails = append(fails, fs...)
		}
		p.emit(bpf.RetConstant{Val: r.ret}, -1, -1)
		if len(r.args) == 0 {
			break // matches always: later rules of this call cannot
		}
	}
	if len(fails) > 0 {
		// No rule matched: the default action, here, within reach of
		// an 8-bit jump.
		for _, f := range fails {
			p.setTarget(f, len(p.ins))
		}
		p.emit(bpf.RetConstant{Val: p.def}, -1, -1)
	}
	return nil
}

// rule is one way a call matches: its argument conditions (all must
// hold; none: it always matches) and the action then.
type rule struct {
	ret  uint32
	args []specs.LinuxSeccompArg
}

// body is a call with argument rules, and the leaf's jump to them.
type body struct {
	nr   uint32
	from int
}

// unconditional says whether a call's first rule always matches, and its
// action: the rules after it are never reached (Compile).
func unconditional(rules []rule) (uint32, bool) {
	if len(rules) > 0 && len(rules[0].args) == 0 {
		return rules[0].ret, true
	}
	return 0, false
}

// alternatives splits a rule's argument conditions the way runc does: the
// conditions on different arguments must all hold, but several conditions
// on the same argument are alternatives (moby's profile relies on this,
// see its socketSyscallsForDomains). Each returned list is one way to
// match.
func alternatives(args []specs.LinuxSeccompArg) [][]specs.LinuxSeccompArg {
	byIndex := map[uint][]specs.LinuxSeccompArg{}
	var indexes []uint
	for _, a := range args {
		if _, ok := byIndex[a.Index]; !ok {
			indexes = append(indexes, a.Index)
		}
		byIndex[a.Index] = append(byIndex[a.Index], a)
	}
	out := [][]specs.LinuxSeccompArg{nil}
	for _, i := range indexes {
		var next [][]specs.LinuxSeccompArg
		for _, prefix := range out {
			for _, a := range byIndex[i] {
				next = append(next, append(append([]specs.LinuxSeccompArg{}, prefix...), a))
			}
		}
		out = next
	}
	return out
}

// setTarget points the failing branch of instruction i at target.
func (p *program) setTarget(i, target int) {
	if p.jt[i] == 0 {
		p.jt[i] = target
	} else {
		p.jf[i] = target
	}
}

// argTest emits the test of one argument condition; it returns the
// instructions whose marked branch (0) must go to "this rule fails".
func (p *program) argTest(a specs.LinuxSeccompArg) ([]int, error) {
	if a.Index > 5 {
		return nil, fmt.Errorf("argument index %d out of range", a.Index)
	}
	lo := uint32(offArgs + 8*a.Index)
	hi := lo + 4
	v := a.Value
	load := func(off uint32) { p.emit(bpf.LoadAbsolute{Off: off, Size: 4}, -1, -1) }
	// In the jumps below, 0 marks "to the failure of this rule".
	switch a.Op {
	case specs.OpEqualTo, specs.OpMaskedEqual:
		mask := ^uint64(0)
		if a.Op == specs.OpMaskedEqual {
			mask, v = a.Value, a.ValueTwo
		}
		load(hi)
		if mask>>32 != 0xffffffff {
			p.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: uint32(mask >> 32)}, -1, -1)
		}
		f1 := p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(v >> 32)}, -1, 0)
		load(lo)
		if uint32(mask) != 0xffffffff {
			p.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: uint32(mask)}, -1, -1)
		}
		f2 := p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(v)}, -1, 0)
		return []int{f1, f2}, nil
	case specs.OpNotEqual:
		// Fails only if both words are equal.
		load(hi)
		pass := p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(v >> 32)}, -1, -1)
		load(lo)
		f := p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(v)}, 0, -1)
		p.jf[pass] = len(p.ins)
		return []int{f}, nil
	case specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpLessThan, specs.OpLessEqual:
		// Compare the high words; only if they are equal, the low ones.
		greater := a.Op == specs.OpGreaterThan || a.Op == specs.OpGreaterEqual
		load(hi)
		hiCmp := bpf.JumpGreaterThan
		if !greater {
			hiCmp = bpf.JumpLessThan
		}
		passHi := p.emit(bpf.JumpIf{Cond: hiCmp, Val: uint32(v >> 32)}, -1, -1)
		f1 := p.emit(bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(v >> 32)}, -1, 0)
		load(lo)
		loCmp := map[specs.LinuxSeccompOperator]bpf.JumpTest{
			specs.OpGreaterThan: bpf.JumpGreaterThan, specs.OpGreaterEqual: bpf.JumpGreaterOrEqual,
			specs.OpLessThan: bpf.JumpLessThan, specs.OpLessEqual: bpf.JumpLessOrEqual,
		}[a.Op]
		f2 := p.emit(bpf.JumpIf{Cond: loCmp, Val: uint32(v)}, -1, 0)
		p.jt[passHi] = len(p.ins)
		return []int{f1, f2}, nil
	}
	return nil, fmt.Errorf("argument operator %q is not supported", a.Op)
}

// assemble resolves the symbolic jumps into the relative offsets of
// classic BPF: 8 bits for a conditional jump, 32 for an unconditional one.
func (p *program) assemble() ([]bpf.RawInstruction, error) {
	out := make([]bpf.RawInstruction, len(p.ins))
	for i, in := range p.ins {
		if j, ok := in.(bpf.Jump); ok {
			// An unconditional jump's offset has 32 bits, forward only.
			if p.jt[i] <= i {
				return nil, fmt.Errorf("seccomp program: instruction %d jumps to %d", i, p.jt[i])
			}
			j.Skip = uint32(p.jt[i] - i - 1)
			in = j
		}
		if j, ok := in.(bpf.JumpIf); ok {
			off := func(target int) (uint8, error) {
				if target < 0 {
					return 0, nil
				}
				d := target - i - 1
				if d < 0 || d > 255 {
					return 0, fmt.Errorf("seccomp program: jump of %d instructions", d)
				}
				return uint8(d), nil
			}
			jt, err := off(p.jt[i])
			if err != nil {
				return nil, err
			}
			jf, err := off(p.jf[i])
			if err != nil {
				return nil, err
			}
			// JumpIf assembles jumps through SkipTrue/SkipFalse.
			j.SkipTrue, j.SkipFalse = jt, jf
			in = j
		}
		raw, err := in.Assemble()
		if err != nil {
			return nil, fmt.Errorf("seccomp program, instruction %d (%v): %w", i, in, err)
		}
		out[i] = raw
	}
	return out, nil
}

// Encode packs a program as struct sock_filter entries (8 bytes each), the
// form InitConfig carries to the container's init.
func Encode(prog []bpf.RawInstruction) []byte {
	b := make([]byte, 8*len(prog))
	for i, in := range prog {
		binary.LittleEndian.PutUint16(b[8*i:], in.Op)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.LittleEndian.PutUint32(b[8*i+4:], in.K)
	}
	return b
}

// Install loads an encoded program on the calling thread, which must have
// no_new_privs set (or CAP_SYS_ADMIN). Only this thread is filtered (no
// SECCOMP_FILTER_FLAG_TSYNC): it is the one that execs the workload, and
// the workload inherits its filter.
func Install(filter []byte) error {
	_, err := install(filter, 0)
	return err
}

// InstallListener is Install for a filter with SCMP_ACT_NOTIFY rules: it
// returns the listener descriptor (SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux
// >= 5.0) through which another process decides those calls.
func InstallListener(filter []byte) (int, error) {
	return install(filter, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER)
}

func install(filter []byte, flags uintptr) (int, error) {
	if len(filter) == 0 || len(filter)%8 != 0 || len(filter)/8 > 0xffff {
		return -1, fmt.Errorf("seccomp: bad program of %d bytes", len(filter))
	}
	prog := unix.SockFprog{Len: uint16(len(filter) / 8), Filter: (*unix.SockFilter)(unsafe.Pointer(&filter[0]))}
	fd, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if e != 0 {
		return -1, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", e)
	}
	return int(fd), nil
}
