package netsetup

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"
)

// slirp4netns' fixed addresses (slirp4netns(1), with --configure and the
// default --cidr 10.0.2.0/24).
const (
	slirpIP      = "10.0.2.100"
	slirpGateway = "10.0.2.2" // also the host's loopback, unless --disable-host-loopback
	slirpDNS     = "10.0.2.3"
	slirpSocket  = "slirp4netns.sock"
)

// slirpArgs: slirp4netns(1) joins the pod's user namespace (--userns-path)
// and network namespace (the pause's pid: our child, not yet reaped, so the
// pid cannot be reused meanwhile), creates tap0 and configures it
// (--configure); --ready-fd=3 says when. It sandboxes itself: a mount
// namespace with only what it needs (--enable-sandbox) and a seccomp filter
// (--enable-seccomp). Published ports are added afterwards through its API
// socket.
//
// Not descriptors, as for pasta: with --enable-sandbox, slirp4netns 1.2.0
// fails ("setegid(0)", "parent failed") when its user namespace is given
// as any path but /proc/PID/ns/user (measured). That path is the caller's
// to open only when pod root is the caller, so slirp4netns does not go
// with --userns keep-id (netsetup.Config.Validate says so).
func slirpArgs(cfg Config, dir string, pausePID int) []string {
	pid := strconv.Itoa(pausePID)
	args := []string{"--configure", "--mtu=65520", "--enable-sandbox", "--enable-seccomp", "--ready-fd=3",
		"--userns-path=/proc/" + pid + "/ns/user", "--api-socket", filepath.Join(dir, slirpSocket)}
	if !cfg.AllowHostLoopback {
		args = append(args, "--disable-host-loopback")
	}
	return append(args, pid, "tap0")
}

// addSlirpPorts publishes ports through slirp4netns' API socket, one
// add_hostfwd request per port and connection.
func addSlirpPorts(dir string, ports []Port) error {
	for _, p := range ports {
		host := p.HostIP
		if host == "" {
			host = "0.0.0.0"
		}
		req := map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
			"proto": p.Protocol, "host_addr": host, "host_port": p.HostPort, "guest_port": p.ContainerPort}}
		var reply struct {
			Error *struct {
				Desc string `json:"desc"`
			} `json:"error"`
		}
		if err := slirpCall(filepath.Join(dir, slirpSocket), req, &reply); err != nil {
			return fmt.Errorf("-p %s: slirp4netns: %w", p, err)
		}
		if reply.Error != nil {
			return fmt.Errorf("-p %s: slirp4netns: %s (is host port %d/%s in use?)", p, reply.Error.Desc, p.HostPort, p.Protocol)
		}
	}
	return nil
}

func slirpCall(sock string, req, reply any) error {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return err
	}
	c.(*net.UnixConn).CloseWrite()
	return json.NewDecoder(c).Decode(reply)
}
