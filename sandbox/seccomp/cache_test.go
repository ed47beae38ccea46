package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// constAllow follows a program for call nr of arch as the kernel does
// when it loads it (kernel/seccomp.c, seccomp_is_const_allow): only loads
// of the number and the architecture, jumps on constants, AND with a
// constant and returns; anything else (an argument load, say) means "not
// known without the arguments", false. It reports whether the call is
// allowed whatever its arguments (the kernel then caches it and never runs
// the program for it), and the steps it took.
func constAllow(prog []bpf.RawInstruction, arch, nr uint32) (bool, int) {
	var a uint32
	steps := 0
	for pc := 0; pc < len(prog); pc++ {
		steps++
		in := prog[pc]
		switch in.Op {
		case 0x20: // BPF_LD | BPF_W | BPF_ABS
			switch in.K {
			case offNr:
				a = nr
			case offArch:
				a = arch
			default:
				return false, steps
			}
		case 0x06: // BPF_RET | BPF_K
			return in.K == retAllow, steps
		case 0x05: // BPF_JMP | BPF_JA
			pc += int(in.K)
		case 0x15, 0x35, 0x25, 0x45: // BPF_JMP | BPF_JEQ, JGE, JGT, JSET | BPF_K
			var res bool
			switch in.Op {
			case 0x15:
				res = a == in.K
			case 0x35:
				res = a >= in.K
			case 0x25:
				res = a > in.K
			case 0x45:
				res = a&in.K != 0
			}
			if res {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case 0x54: // BPF_ALU | BPF_AND | BPF_K
			a &= in.K
		default:
			return false, steps
		}
	}
	return false, steps
}

// maxLookupSteps bounds the steps from a call's number to its decision,
// or to its argument rules: the tree's ~6 levels, a leaf of up to 16
// tests, and the header.
const maxLookupSteps = 36

// The kernel can cache every call the default profile allows outright
// (so the workload never runs the filter for it), and finds any call's
// decision in a few steps, the tree's purpose (Compile): at load it takes
// those steps for each of ~460 call numbers.
func TestKernelCachesAllowedCalls(t *testing.T) {
	prof, err := Profile("", nil, defaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	raw := compileDefault(t, defaultCaps)
	// A call is allowed outright when its first rule allows it without
	// conditions (the first rule of a call wins).
	first := map[uint32]specs.LinuxSyscall{}
	for _, sc := range prof.Syscalls {
		for _, name := range sc.Names {
			if nr, ok := sysnums()[name]; ok {
				if _, seen := first[nr]; !seen {
					first[nr] = sc
				}
			}
		}
	}
	outright := map[uint32]bool{}
	for nr, sc := range first {
		outright[nr] = sc.Action == specs.ActAllow && len(sc.Args) == 0
	}
	if len(outright) < 300 {
		t.Fatalf("only %d calls allowed outright: not moby's default profile?", len(outright))
	}
	most := 0
	for nr := uint32(0); nr < 512; nr++ {
		allowed, steps := constAllow(raw, auditArchX86_64, nr)
		if outright[nr] && !allowed {
			t.Errorf("call %d: allowed by the profile, but the kernel could not cache it", nr)
		}
		if !outright[nr] && allowed {
			t.Errorf("call %d: cacheable as allowed, but the profile does not allow it outright", nr)
		}
		most = max(most, steps)
	}
	if most > maxLookupSteps {
		t.Errorf("a call number took %d steps to its decision, more than %d", most, maxLookupSteps)
	}
	t.Logf("%d instructions; at most %d steps to a decision", len(raw), most)
	// Another architecture is decided (killed) at once.
	if allowed, steps := constAllow(raw, 0x40000003, 3); allowed || steps > 3 {
		t.Errorf("an i386 call: allowed %v after %d steps", allowed, steps)
	}
}

// TestConstAllowCatches is the positive control of the test above: a
// chain of tests (the program's old layout) exceeds the step bound, and a
// program that computes on the number is not cacheable.
func TestConstAllowCatches(t *testing.T) {
	chain := []bpf.Instruction{bpf.LoadAbsolute{Off: offNr, Size: 4}}
	for nr := uint32(0); nr < 100; nr++ {
		chain = append(chain, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipTrue: uint8(100 - nr)})
	}
	chain = append(chain, bpf.RetConstant{Val: retErrno}, bpf.RetConstant{Val: retAllow})
	raw, err := bpf.Assemble(chain)
	if err != nil {
		t.Fatal(err)
	}
	if allowed, steps := constAllow(raw, auditArchX86_64, 99); !allowed || steps <= maxLookupSteps {
		t.Errorf("a chain of 100 tests: call 99 allowed %v after %d steps; want allowed after more than %d", allowed, steps, maxLookupSteps)
	}
	shift, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: offNr, Size: 4},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 1},
		bpf.RetConstant{Val: retAllow},
	})
	if err != nil {
		t.Fatal(err)
	}
	if allowed, _ := constAllow(shift, auditArchX86_64, 1); allowed {
		t.Error("a program that shifts the number was taken as cacheable")
	}
}
