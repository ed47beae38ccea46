package netsetup

import (
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	good := map[string]Port{
		"80":                  {HostPort: 80, ContainerPort: 80, Protocol: "tcp"},
		"8080:80":             {HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"127.0.0.1:8080:80":   {HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"5353:53/udp":         {HostPort: 5353, ContainerPort: 53, Protocol: "udp"},
		"8080:80/TCP":         {HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"[::1]:8080:80":       {HostIP: "::1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		"[fd00::2]:53:53/udp": {HostIP: "fd00::2", HostPort: 53, ContainerPort: 53, Protocol: "udp"},
	}
	for spec, want := range good {
		got, err := ParsePort(spec)
		if err != nil || got != want {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	bad := map[string]string{
		"":                   "not a number",
		"0":                  "not a number",
		"65536":              "not a number",
		"080":                "not a number",
		"+80":                "not a number",
		":80":                "the host port is empty",
		"80:":                "container port",
		"a:b:c:d":            "too many colons",
		"::1:80:80":          "too many colons",
		"1.2.3:80:80":        "not an IPv4 address",
		"[127.0.0.1]:80:80":  "not an IPv6 address",
		"[::1]80:80":         "must be followed by :PORT",
		"[::1]:80":           "give both the host and the container port",
		"80/sctp":            "neither tcp nor udp",
		"[fe80::1%eth0]:1:1": "not an IPv6 address",
	}
	for spec, want := range bad {
		if _, err := ParsePort(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePort(%q): %v; want an error with %q", spec, err, want)
		}
	}
}

func TestCheckDuplicates(t *testing.T) {
	p := func(s string) Port {
		q, err := ParsePort(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	ok := []Port{p("8080:80"), p("8080:80/udp"), p("127.0.0.1:9090:90"), p("127.0.0.2:9090:91")}
	if err := CheckDuplicates(ok); err != nil {
		t.Errorf("distinct sockets refused: %v", err)
	}
	for _, pair := range [][2]string{{"8080:80", "8080:81"}, {"8080:80", "127.0.0.1:8080:81"}, {"127.0.0.1:1:1", "127.0.0.1:1:2"}} {
		if err := CheckDuplicates([]Port{p(pair[0]), p(pair[1])}); err == nil {
			t.Errorf("%v: both accepted", pair)
		}
	}
}

// FuzzParsePort: whatever -p is given, ParsePort either refuses it or
// returns a port with numbers in range and a protocol it knows, whose
// String() parses back to the same port.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1:8080:80/udp", "[::1]:1:2", "1.2.3.4:5:6/tcp", "::", "[]:1:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePort(s)
		if err != nil {
			if !strings.Contains(err.Error(), "-p ") {
				t.Fatalf("error without the flag: %v", err)
			}
			return
		}
		if p.HostPort == 0 || p.ContainerPort == 0 || (p.Protocol != "tcp" && p.Protocol != "udp") {
			t.Fatalf("ParsePort(%q) = %+v", s, p)
		}
		q, err := ParsePort(p.String())
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %q gives %+v, %v", s, p.String(), q, err)
		}
	})
}

func TestParseAddHost(t *testing.T) {
	if h, err := ParseAddHost("db.test:192.0.2.10"); err != nil || h != (HostEntry{"db.test", "192.0.2.10"}) {
		t.Errorf("got %+v %v", h, err)
	}
	if h, err := ParseAddHost("v6:[2001:db8::1]"); err != nil || h.IP != "2001:db8::1" {
		t.Errorf("got %+v %v", h, err)
	}
	for _, s := range []string{"nocolon", "bad name:1.2.3.4", "x:999.1.1.1", ":1.2.3.4", "-x:1.2.3.4"} {
		if _, err := ParseAddHost(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestEtcFiles(t *testing.T) {
	cfg := Config{Mode: Slirp, AllowHostLoopback: true, AddHosts: []HostEntry{{"db", "192.0.2.9"}}, DNS: []string{"192.0.2.53"}, DNSSearch: []string{"."}}
	st := Expected(cfg)
	hosts := Hosts(cfg, st, "web")
	for _, want := range []string{"10.0.2.100\tweb\n", "10.0.2.2\thost.containers.internal", "192.0.2.9\tdb\n"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("hosts lacks %q:\n%s", want, hosts)
		}
	}
	if r := ResolvConf(cfg, st); r != "nameserver 192.0.2.53\n" {
		t.Errorf("resolv.conf with --dns and --dns-search .:\n%s", r)
	}
	none := Config{Mode: None}
	if h := Hosts(none, Expected(none), "web"); !strings.Contains(h, "127.0.1.1\tweb\n") {
		t.Errorf("loopback-only hosts:\n%s", h)
	}
}

func TestPastaArgs(t *testing.T) {
	args := strings.Join(pastaArgs(Config{Mode: Pasta, Ports: []Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {HostPort: 53, ContainerPort: 53, Protocol: "udp"}}}), " ")
	for _, want := range []string{"-t 127.0.0.1/8080:80", "-u 53:53", "-T none -U none", "--no-map-gw", "--netns /proc/self/fd/5"} {
		if !strings.Contains(args, want) {
			t.Errorf("pasta args lack %q: %s", want, args)
		}
	}
	if args := strings.Join(pastaArgs(Config{Mode: Pasta, AllowHostLoopback: true}), " "); strings.Contains(args, "--no-map-gw") || !strings.Contains(args, "-t none -u none") {
		t.Errorf("with host loopback: %s", args)
	}
}
