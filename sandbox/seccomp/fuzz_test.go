package seccomp

import (
	"testing"
)

// A seccomp profile of the user's (docker's JSON): loading and compiling
// it never panics, and what compiles fits the kernel's limit.
func FuzzProfile(f *testing.F) {
	f.Add(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`)
	f.Add(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]}]}`)
	f.Add(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]}]}`)
	f.Fuzz(func(t *testing.T, profile string) {
		p, err := Profile("p.json", []byte(profile), []string{"KILL"})
		if err != nil {
			return
		}
		prog, err := Compile(p)
		if err != nil {
			return
		}
		if len(prog) == 0 || len(prog) > 4096 {
			t.Errorf("%d instructions (BPF_MAXINSNS is 4096)", len(prog))
		}
	})
}
