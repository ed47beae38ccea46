package netsetup

import (
	"os"
	"strconv"
	"strings"
)

// pastaArgs: pasta(1) joins the pod's user and network namespaces (fds 4
// and 5), opens /dev/net/tun there, and with --config-net gives the tap the
// host's address, routes and MTU. -f keeps it our child (no daemonizing),
// so its pidfd is ours and it dies with the pod; --pid /proc/self/fd/3
// writes its pid to our pipe once the namespace is configured: the
// readiness signal.
func pastaArgs(cfg Config) []string {
	tcp := pastaPorts(cfg.Ports, "tcp")
	if cfg.PortBypass {
		// The workload's listener is bound on the host itself.
		tcp = "none"
	}
	args := []string{"-f", "-q", "--config-net", "--pid", "/proc/self/fd/3",
		"--userns", "/proc/self/fd/4", "--netns", "/proc/self/fd/5",
		// A namespace given as a path is watched (inotify) to quit when
		// it is deleted; ours is not a bind mount, and we stop pasta.
		"--no-netns-quit",
		// No syslog: the pod's own log file (a syslog write from a pod
		// helper would also be noise on the host).
		"--log-file", "/proc/self/fd/1",
		// -T/-U forward ports the other way, from the pod's loopback to
		// the host's; pasta's default (auto) would forward every port
		// the host listens on, so the pod could reach the host's
		// loopback services. Never by default.
		"-T", "none", "-U", "none",
		"-t", tcp, "-u", pastaPorts(cfg.Ports, "udp")}
	if os.Geteuid() == 0 {
		// Started by root, pasta switches to nobody before it joins the
		// pod's user namespace, which nobody may not enter (setns(2)
		// needs CAP_SYS_ADMIN there): it stays root, whose pod it serves,
		// and still drops its capabilities once set up.
		args = append(args, "--runas", "0:0")
	}
	if !cfg.AllowHostLoopback {
		// Without this, connections to the gateway's address are
		// connections to the host's loopback (pasta(1), NOTES).
		args = append(args, "--no-map-gw")
	}
	if !hostHasIPv6Default() {
		// No IPv6 route out of the host, so none out of the pod: IPv4
		// only, which also saves ~8 ms of pasta's start-up (measured).
		args = append(args, "-4")
	}
	if len(cfg.DNS) == 0 && len(readHostResolv().reachable()) == 0 {
		// The host's only nameservers are on its loopback
		// (systemd-resolved): the pod asks the gateway's address, and
		// pasta forwards that to the host's first nameserver.
		args = append(args, "--dns-forward", pastaDNSForward)
	}
	return args
}

// pastaDNSForward is where a pod asks for names when the host's resolver
// is on its loopback.
const pastaDNSForward = "169.254.0.53"

// pastaPorts spells ports of one protocol as pasta's -t/-u spec:
// [ADDRESS/]HOST:CONTAINER, comma separated; "none" for none.
func pastaPorts(ports []Port, proto string) string {
	var specs []string
	for _, p := range ports {
		if p.Protocol != proto {
			continue
		}
		s := strconv.Itoa(int(p.HostPort)) + ":" + strconv.Itoa(int(p.ContainerPort))
		if p.HostIP != "" {
			s = p.HostIP + "/" + s
		}
		specs = append(specs, s)
	}
	if len(specs) == 0 {
		return "none"
	}
	return strings.Join(specs, ",")
}
