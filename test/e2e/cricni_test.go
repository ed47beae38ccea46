package e2e

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCRICNI runs sandboxes on a CNI network, as a cluster node does:
// Debian's containernetworking plugins (bridge with host-local, portmap)
// configured in a directory of the test's. Rootless, they run in the
// user's shared network's namespaces (the node's). Each sandbox gets its
// address from the plugins (inspectp, and CHECK says the attachment is
// whole), one reaches the other at that address and at the node's
// published port (portmap's DNAT at the bridge's gateway), and DEL at
// stopp gives the addresses back (host-local's files go). A server told
// of a configuration whose plugin is missing says NetworkReady false,
// naming it.
func TestCRICNI(t *testing.T) {
	const plugins = "/usr/lib/cni"
	if _, err := os.Stat(filepath.Join(plugins, "bridge")); err != nil {
		t.Skip("the CNI plugins are not installed (Debian: containernetworking-plugins)")
	}
	if os.Getuid() == 0 {
		t.Skip("as root the plugins change the host's own network (a bridge in it): run rootless")
	}
	conf := t.TempDir()
	ipam := filepath.Join(t.TempDir(), "ipam")
	writeJSON(t, filepath.Join(conf, "10-e2e.conflist"), map[string]any{
		"cniVersion": "1.0.0", "name": "podctl-e2e",
		"plugins": []any{
			map[string]any{"type": "bridge", "bridge": "cni-e2e0", "isGateway": true,
				"ipam": map[string]any{"type": "host-local", "ranges": [][]map[string]string{{{"subnet": "10.99.7.0/24"}}},
					"dataDir": ipam, "routes": []map[string]string{{"dst": "0.0.0.0/0"}}}},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	})
	const image = "localhost/podctl-e2e/cricni:latest"
	s, dir := criTestFlags(t, image, []string{"--cni-conf-dir", conf, "--cni-bin-dir", plugins})

	var info struct {
		Config struct {
			Network string `json:"network"`
		} `json:"config"`
		Status struct {
			Conditions []struct {
				Type    string `json:"type"`
				Status  bool   `json:"status"`
				Message string `json:"message"`
			} `json:"conditions"`
		} `json:"status"`
	}
	s.jsonOf(&info, "info")
	if c := info.Status.Conditions; len(c) != 2 || !c[1].Status || !strings.Contains(c[1].Message, "podctl-e2e") || info.Config.Network != "cni" {
		t.Errorf("crictl info: %+v; want NetworkReady true on CNI network podctl-e2e", info)
	}

	subnet := netip.MustParsePrefix("10.99.7.0/24")
	sandbox := func(name string, ports ...map[string]any) (pod, ip string) {
		cfg := writeJSON(t, filepath.Join(dir, name+".json"), map[string]any{
			"metadata": map[string]any{"name": name, "namespace": "e2e", "uid": "uid-" + name}, "port_mappings": ports})
		pod = s.must("runp", cfg)
		t.Cleanup(func() { run(t, "rm", "-f", pod) })
		var st criStatus
		s.jsonOf(&st, "inspectp", pod)
		ip = st.Status.Network.IP
		if a, err := netip.ParseAddr(ip); err != nil || !subnet.Contains(a) {
			t.Fatalf("sandbox %s: IP %q; want one of %s, from host-local", name, ip, subnet)
		}
		var verbose struct {
			CNICheck string `json:"cniCheck"` // crictl lifts the info's keys
		}
		s.jsonOf(&verbose, "inspectp", pod)
		if verbose.CNICheck != "ok" {
			t.Errorf("sandbox %s: CHECK says %q; want ok", name, verbose.CNICheck)
		}
		return pod, ip
	}
	server, serverIP := sandbox("server", map[string]any{"container_port": 8080, "host_port": 18080})
	client, clientIP := sandbox("client")
	if serverIP == clientIP {
		t.Fatalf("both sandboxes have %s", serverIP)
	}
	container := func(pod, name string, cmd []string) string {
		cfg := writeJSON(t, filepath.Join(dir, name+"-ctr.json"), map[string]any{
			"metadata": map[string]any{"name": name}, "image": map[string]any{"image": image}, "command": cmd})
		podCfg := filepath.Join(dir, map[string]string{server: "server", client: "client"}[pod]+".json")
		id := s.must("create", pod, cfg, podCfg)
		s.must("start", id)
		return id
	}
	container(server, "pong", sh("while true; do echo pong | nc -l -p 8080; done"))
	c := container(client, "box", []string{"sleep", "1000"})
	// By address across the bridge, then at the node's published port:
	// the gateway's address is the node's, where portmap's DNAT is.
	gateway := "10.99.7.1"
	for _, to := range []string{serverIP + " 8080", gateway + " 18080"} {
		var out string
		for i := 0; i < 50; i++ {
			if out, _ = s.crictl("exec", c, "sh", "-c", "nc -w 2 "+to+" </dev/null"); strings.Contains(out, "pong") {
				break
			}
		}
		if !strings.Contains(out, "pong") {
			t.Errorf("from the client sandbox, nc %s: %q; want pong", to, out)
		}
	}

	leases := func() []string {
		entries, _ := os.ReadDir(filepath.Join(ipam, "podctl-e2e"))
		var ips []string
		for _, e := range entries {
			if _, err := netip.ParseAddr(e.Name()); err == nil {
				ips = append(ips, e.Name())
			}
		}
		return ips
	}
	if l := leases(); len(l) != 2 {
		t.Errorf("host-local's leases while both run: %v; want 2", l)
	}
	s.must("stopp", server, client)
	if l := leases(); len(l) != 0 {
		t.Errorf("host-local's leases after stopp: %v; want none (DEL gives them back)", l)
	}
	s.must("rmp", server, client)

	// A configuration whose plugin is not there: NetworkReady false,
	// naming it.
	broken := t.TempDir()
	b, _ := json.Marshal(map[string]any{"cniVersion": "1.0.0", "name": "broken", "plugins": []any{map[string]any{"type": "no-such-plugin"}}})
	os.WriteFile(filepath.Join(broken, "10-broken.conflist"), b, 0o644)
	s2 := startCRI(t, filepath.Join(t.TempDir(), "cri.sock"), "--cni-conf-dir", broken, "--cni-bin-dir", plugins)
	s2.jsonOf(&info, "info")
	if c := info.Status.Conditions; len(c) != 2 || c[1].Status || !strings.Contains(c[1].Message, "no-such-plugin") {
		t.Errorf("crictl info with a missing plugin: %+v; want NetworkReady false naming it", c)
	}
}
