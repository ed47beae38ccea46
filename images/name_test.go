package images

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseRef(t *testing.T) {
	cases := map[string]string{
		"busybox":                          "docker.io/library/busybox:latest",
		"busybox:1.36":                     "docker.io/library/busybox:1.36",
		"user/app":                         "docker.io/user/app:latest",
		"localhost/app:v1":                 "localhost/app:v1",
		"localhost:5000/a/b:c":             "localhost:5000/a/b:c",
		"127.0.0.1:5000/a":                 "127.0.0.1:5000/a:latest",
		"quay.io/x/y@sha256:" + hex64('a'): "quay.io/x/y@sha256:" + hex64('a'),
	}
	for in, want := range cases {
		r, err := ParseRef(in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", in, err)
			continue
		}
		if got := r.String(); got != want {
			t.Errorf("ParseRef(%q).String() = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"", "Busybox", "a//b", "a:", "a@sha256:12", "-a", "a:b:c", "a b", "a/../b"} {
		if _, err := ParseRef(bad); err == nil || !strings.Contains(err.Error(), "invalid image name") {
			t.Errorf("ParseRef(%q) = %v, want an invalid-name error", bad, err)
		}
	}
}

func hex64(c byte) string { return strings.Repeat(string(c), 64) }

func TestCommandRules(t *testing.T) {
	c := Config{Entrypoint: []string{"/ep"}, Cmd: []string{"a", "b"}}
	for _, tc := range []struct {
		command, args, want []string
	}{
		{nil, nil, []string{"/ep", "a", "b"}},
		{nil, []string{"x"}, []string{"/ep", "x"}},           // args replace Cmd
		{[]string{"/c"}, nil, []string{"/c"}},                // command drops Cmd
		{[]string{"/c"}, []string{"y"}, []string{"/c", "y"}}, // both given
	} {
		if got := c.Command(tc.command, tc.args); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Command(%v, %v) = %v, want %v", tc.command, tc.args, got, tc.want)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"PATH=/bin", "A=1"}, []string{"A=2", "B=3", "A=4"})
	want := []string{"PATH=/bin", "A=4", "B=3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeEnv = %v, want %v", got, want)
	}
}

// FuzzParseRef: whatever ParseRef accepts, its String form parses again to
// the same name (the store's names are stable), and holds no blank.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c", "localhost:5000/x@sha256:" + hex64('0'), "A", "a::b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		full := r.String()
		if strings.ContainsAny(full, " \t\n") {
			t.Fatalf("%q -> %q has a blank", s, full)
		}
		r2, err := ParseRef(full)
		if err != nil {
			t.Fatalf("%q -> %q does not parse again: %v", s, full, err)
		}
		if r2.String() != full {
			t.Fatalf("%q -> %q -> %q", s, full, r2.String())
		}
	})
}

// FuzzImageConfig: an image's config JSON, however odd, never panics the
// rules that turn it into a command and an environment.
func FuzzImageConfig(f *testing.F) {
	f.Add([]byte(`{"config":{"Entrypoint":["/bin/sh"],"Cmd":["-c","x"],"Env":["A=1","A","=b"]}}`), "cmd", "K=V")
	f.Add([]byte(`{"config":{"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGUSR1"}}`), "", "")
	f.Fuzz(func(t *testing.T, blob []byte, arg, env string) {
		var ic v1.Image
		if json.Unmarshal(blob, &ic) != nil {
			return
		}
		c := Config{Entrypoint: ic.Config.Entrypoint, Cmd: ic.Config.Cmd, Env: ic.Config.Env}
		var args []string
		if arg != "" {
			args = []string{arg}
		}
		out := c.Command(nil, args)
		if len(args) > 0 && out[len(out)-1] != arg {
			t.Fatalf("args %v not last in %v", args, out)
		}
		merged := MergeEnv(c.Env, []string{env})
		if env != "" && !contains(merged, env) {
			t.Fatalf("-e %q lost: %v", env, merged)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestGrammarMatchesRegexp: the hand-written checks accept exactly what
// the reference grammar's regular expressions accept.
func TestGrammarMatchesRegexp(t *testing.T) {
	pathRE := regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	for _, s := range []string{"a", "a.b", "a..b", "a__b", "a___b", "a---b", "a-", "-a", "a/b", "a//b", "/a", "a/", "A", "a_b.c-d/e", "a._b", "", strings.Repeat("x", 200)} {
		if validPath(s) != pathRE.MatchString(s) {
			t.Errorf("validPath(%q) = %v, regexp says %v", s, validPath(s), !validPath(s))
		}
		if validTag(s) != tagRE.MatchString(s) {
			t.Errorf("validTag(%q) = %v, regexp says %v", s, validTag(s), !validTag(s))
		}
	}
}

func FuzzGrammar(f *testing.F) {
	pathRE := regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	f.Add("a_b.c-d/e")
	f.Fuzz(func(t *testing.T, s string) {
		if validPath(s) != pathRE.MatchString(s) || validTag(s) != tagRE.MatchString(s) {
			t.Fatalf("%q: path %v/%v tag %v/%v", s, validPath(s), pathRE.MatchString(s), validTag(s), tagRE.MatchString(s))
		}
	})
}
