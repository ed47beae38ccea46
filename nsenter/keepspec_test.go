package nsenter

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The descriptor list the supervisor and its keeper hand each other:
// never a panic; what parses prints back to something that parses the same.
func FuzzKeepSpec(f *testing.F) {
	for _, s := range []string{"lock=3 ctl=4 pause=5 wake=0 c=web,6,7,8,9,1,0,100", "lock=1", "c=a,b", "lock=3 ctl=4 pause=5 wake=99 c=x,-1,-1,-1,3,3,7,0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeepSpec(s)
		if err != nil {
			return
		}
		k2, err := ParseKeepSpec(k.String())
		if err != nil || k2.String() != k.String() {
			t.Errorf("%q -> %q -> %v %v", s, k.String(), k2, err)
		}
	})
}

// The keeper's capacity is one number in two languages: MaxKept here,
// MAX_CTRS in keeper.c. A supervisor trusts MaxKept to know what the
// keeper can hold.
func TestMaxKeptMatchesKeeper(t *testing.T) {
	src, err := os.ReadFile("keeper.c")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^#define MAX_CTRS (\d+)$`).FindSubmatch(src)
	if m == nil || string(m[1]) != strconv.Itoa(MaxKept) {
		t.Fatalf("keeper.c's MAX_CTRS is %q, MaxKept %d", m, MaxKept)
	}
}
