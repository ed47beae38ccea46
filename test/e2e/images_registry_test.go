package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/podctl/podctl/test/imagebuild"
	"golang.org/x/crypto/bcrypt"
)

// TestImageRegistryAuthAliasMirror: a registry that wants a password
// (htpasswd), podctl login/logout keeping it in an auth file, and
// registries.conf's short-name aliases and mirrors, all on loopback.
func TestImageRegistryAuthAliasMirror(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("alice:"+string(hash)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t, fmt.Sprintf("auth:\n  htpasswd:\n    realm: podctl-e2e\n    path: %s\n", htpasswd))
	authfile := filepath.Join(dir, "auth.json")
	conf := filepath.Join(dir, "registries.conf")
	// The mirrored registry's own address is a closed loopback port:
	// nothing may ever leave this machine, even on a fallback.
	os.WriteFile(conf, []byte(fmt.Sprintf(`unqualified-search-registries = []
short-name-mode = "enforcing"

[aliases]
"podctl-e2e-alias" = "%[1]s/podctl-e2e/reg"

[[registry]]
location = "%[1]s"
insecure = true

[[registry]]
location = "127.0.0.1:1/podctl-mirrored"
insecure = true
[[registry.mirror]]
location = "%[1]s/podctl-e2e"
insecure = true
`, reg)), 0o644)
	env := []string{"CONTAINERS_REGISTRIES_CONF=" + conf, "REGISTRY_AUTH_FILE=" + authfile}

	const name = "localhost/podctl-e2e/auth:1"
	loadImage(t, testImage(t, name, imagebuild.Config{Env: []string{"PATH=/bin"}, Cmd: []string{"echo", "via", "auth"}}), "oci-archive")
	before := readStore(t)

	if r := runEnv(t, env, "", "push", "-q", name, reg+"/podctl-e2e/reg:1"); r.code == 0 {
		t.Fatalf("push without credentials succeeded: %s", r.stderr)
	} else if !strings.Contains(r.stderr, "authentication required") && !strings.Contains(r.stderr, "unauthorized") {
		t.Errorf("push without credentials: want an authentication error, got %q", r.stderr)
	}
	if r := runEnv(t, env, "wrong\n", "login", "-u", "alice", "--password-stdin", reg); r.code == 0 {
		t.Errorf("login with a wrong password succeeded")
	}
	if r := runEnv(t, env, "s3cret\n", "login", "-u", "alice", "--password-stdin", reg); r.code != 0 || !strings.Contains(r.stderr, "Login Succeeded") {
		t.Fatalf("login: %d %s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(authfile); err != nil || !strings.Contains(string(b), reg) {
		t.Errorf("auth file after login: %q %v", b, err)
	}
	if r := runEnv(t, env, "", "push", "-q", name, reg+"/podctl-e2e/reg:1"); r.code != 0 {
		t.Fatalf("push after login: %s", r.stderr)
	}

	// A short-name alias of registries.conf.
	r := runEnv(t, env, "", "pull", "-q", "podctl-e2e-alias:1")
	if r.code != 0 {
		t.Fatalf("pull of an alias: %s", r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	if out := run(t, "images").stdout; !strings.Contains(out, reg+"/podctl-e2e/reg") {
		t.Errorf("the alias was not pulled under its full name:\n%s", out)
	}
	run(t, "rmi", reg+"/podctl-e2e/reg:1")
	// A mirror: the registry named is never contacted when its mirror has it.
	r = runEnv(t, env, "", "pull", "-q", "127.0.0.1:1/podctl-mirrored/reg:1")
	if r.code != 0 || strings.TrimSpace(r.stdout) != id {
		t.Fatalf("pull through a mirror: %q %s", r.stdout, r.stderr)
	}
	if r := run(t, "run", "--rm", "127.0.0.1:1/podctl-mirrored/reg:1"); strings.TrimSpace(r.stdout) != "via auth" {
		t.Errorf("run of the mirrored image: %q %s", r.stdout, r.stderr)
	}
	run(t, "rmi", "127.0.0.1:1/podctl-mirrored/reg:1")

	if r := runEnv(t, env, "", "logout", reg); r.code != 0 {
		t.Fatalf("logout: %s", r.stderr)
	}
	if r := runEnv(t, env, "", "pull", "-q", reg+"/podctl-e2e/reg:1"); r.code == 0 {
		t.Errorf("pull after logout succeeded")
		run(t, "rmi", reg+"/podctl-e2e/reg:1")
	}
	sameStore(t, "after the registry test", before)
}
