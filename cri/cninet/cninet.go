// Package cninet is a CRI server's CNI network: the node's network as a
// cluster sets it up, through libcni (github.com/containernetworking/cni),
// with the plugins run in the node's network namespaces by the pod API
// (sandbox.ExecInNode). Package cri calls it for sandboxes of network mode
// cni; it knows nothing of the CRI's types but the port mappings.
package cninet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Network is a node's network as a cluster sets it up: a CNI configuration
// (the first of the directory's, by name, as containerd and CRI-O take
// it) whose plugins ADD each sandbox's network namespace when it is made,
// DEL it when it is stopped, and CHECK it for a verbose status. Rootless,
// the plugins run in the user's shared network's user and network
// namespaces (the node's: cniExec), as rootless containerd runs them in
// rootlesskit's; the sandboxes are made in that user namespace
// (netsetup.CNI), so a plugin there may configure theirs.
type Network struct {
	conf     *libcni.NetworkConfigList
	file     string
	cni      *libcni.CNIConfig
	binDirs  []string
	cacheDir string
}

// Options says where the configuration and the plugins are.
type Options struct {
	ConfDir string   // /etc/cni/net.d
	BinDirs []string // /opt/cni/bin, and Debian's /usr/lib/cni
}

// DefaultConfDir is where a node's CNI configuration is: root's
// /etc/cni/net.d; a rootless server's own, $XDG_CONFIG_HOME/cni/net.d (as
// rootless nerdctl keeps it), since a configuration written for root
// keeps its plugins' state in root's directories (host-local's
// /var/lib/cni/networks).
func DefaultConfDir() string {
	if os.Geteuid() == 0 {
		return "/etc/cni/net.d"
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "cni", "net.d")
}

// Load reads the first configuration of opts.ConfDir; nil, nil when
// there is none (the server then uses podctl's own network modes).
func Load(opts Options) (*Network, error) {
	files, err := libcni.ConfFiles(opts.ConfDir, []string{".conflist", ".conf", ".json"})
	if err != nil || len(files) == 0 {
		return nil, nil // a missing directory is no configuration
	}
	file := files[0] // sorted by name
	var conf *libcni.NetworkConfigList
	if strings.HasSuffix(file, ".conflist") {
		conf, err = libcni.ConfListFromFile(file)
	} else {
		var one *libcni.PluginConfig
		if one, err = libcni.ConfFromFile(file); err == nil {
			conf, err = libcni.ConfListFromConf(one)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("CNI configuration %s: %w", file, err)
	}
	root, err := model.StateRoot()
	if err != nil {
		return nil, err
	}
	// libcni keeps each attachment's configuration and result here (DEL
	// and the status's address read them back); the default,
	// /var/lib/cni, is root's.
	cache := filepath.Join(root, "cni")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, err
	}
	c := &Network{conf: conf, file: file, binDirs: opts.BinDirs, cacheDir: cache}
	c.cni = libcni.NewCNIConfigWithCacheDir(opts.BinDirs, cache, &cniExec{xtablesLock: filepath.Join(cache, "xtables.lock")})
	return c, nil
}

// Ready says whether the configuration's plugins are all installed and
// speak its version (Status's NetworkReady).
func (c *Network) Ready(ctx context.Context) error {
	if _, err := c.cni.ValidateNetworkList(ctx, c.conf); err != nil {
		return fmt.Errorf("CNI network %s (%s): %w", c.conf.Name, c.file, err)
	}
	return nil
}

// Name is the network's name; File, its configuration's.
func (c *Network) Name() string { return c.conf.Name }
func (c *Network) File() string { return c.file }

// Describe names the network, for logs and Status.
func (c *Network) Describe() string {
	return fmt.Sprintf("CNI network %s (%s), plugins from %s", c.conf.Name, c.file, strings.Join(c.binDirs, ":"))
}

// Sandbox is what the plugins are told of one: its id, the kubelet's
// namespace, name and uid, and its pause's network namespace ("" once the
// pause is gone).
type Sandbox struct {
	ID, Namespace, Name, UID string
	NetNS                    string
}

// runtimeConf is the plugins' view of sandbox sb: its network namespace
// (reachable from the node's namespaces: the pause is in that user
// namespace), eth0, the kubelet's K8S_POD_* arguments, and its port
// mappings for the portmap plugin.
func runtimeConf(sb Sandbox, ports []*runtimeapi.PortMapping) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: sb.ID,
		NetNS:       sb.NetNS,
		IfName:      "eth0",
		Args: [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", sb.Namespace},
			{"K8S_POD_NAME", sb.Name}, {"K8S_POD_INFRA_CONTAINER_ID", sb.ID}, {"K8S_POD_UID", sb.UID}},
	}
	var pm []map[string]any
	for _, p := range ports {
		if p.HostPort <= 0 {
			continue
		}
		proto := strings.ToLower(p.Protocol.String())
		pm = append(pm, map[string]any{"hostPort": p.HostPort, "containerPort": p.ContainerPort, "protocol": proto, "hostIP": p.HostIp})
	}
	if len(pm) > 0 {
		rt.CapabilityArgs = map[string]any{"portMappings": pm}
	}
	return rt
}

// Add attaches sandbox sb to the network (ADD), returning its address;
// on an error DEL undoes what the plugins did.
func (c *Network) Add(ctx context.Context, sb Sandbox, ports []*runtimeapi.PortMapping) (string, error) {
	rt := runtimeConf(sb, ports)
	res, err := c.cni.AddNetworkList(ctx, c.conf, rt)
	if err != nil {
		c.cni.DelNetworkList(context.WithoutCancel(ctx), c.conf, rt)
		return "", fmt.Errorf("CNI ADD (network %s): %w", c.conf.Name, err)
	}
	return resultIP(res), nil
}

// Del detaches it (DEL): the plugins give back its address and remove
// what they made; without a cached attachment there is nothing to do.
func (c *Network) Del(ctx context.Context, sb Sandbox) error {
	rt := runtimeConf(sb, nil)
	b, cached, err := c.cni.GetNetworkListCachedConfig(c.conf, rt)
	if err != nil || b == nil {
		return nil
	}
	if cached != nil {
		rt.CapabilityArgs = cached.CapabilityArgs // the port mappings ADD had
	}
	if err := c.cni.DelNetworkList(ctx, c.conf, rt); err != nil {
		return fmt.Errorf("CNI DEL (network %s): %w", c.conf.Name, err)
	}
	return nil
}

// Forget drops the cached attachment of a sandbox whose DEL cannot run.
func (c *Network) Forget(sb Sandbox) {
	os.Remove(filepath.Join(c.cacheDir, "results", c.conf.Name+"-"+sb.ID+"-eth0"))
}

// Close removes the cache directory from the state root once no
// attachment is left in it. The results of attachments still made must
// outlive the server (a DEL after a restart reads them back); an empty
// cache is litter. xtables.lock (iptables' lock, moved here) goes with it
// only while no plugin holds it: flock(2), as iptables takes it.
func (c *Network) Close() {
	if c == nil {
		return // no configuration: Load made nothing
	}
	os.Remove(filepath.Join(c.cacheDir, "results")) // only if empty
	lock := filepath.Join(c.cacheDir, "xtables.lock")
	if f, err := os.OpenFile(lock, os.O_RDONLY|unix.O_NOFOLLOW, 0); err == nil {
		entries, _ := os.ReadDir(c.cacheDir)
		if len(entries) == 1 && unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.Remove(lock)
		}
		f.Close()
	}
	os.Remove(c.cacheDir) // only if empty
}

// Check asks the plugins whether the attachment is as they made it.
func (c *Network) Check(ctx context.Context, sb Sandbox) error {
	return c.cni.CheckNetworkList(ctx, c.conf, runtimeConf(sb, nil))
}

// IP is the sandbox's address as its ADD result says ("" for none).
func (c *Network) IP(sb Sandbox) string {
	res, err := c.cni.GetNetworkListCachedResult(c.conf, runtimeConf(sb, nil))
	if err != nil || res == nil {
		return ""
	}
	return resultIP(res)
}

// resultIP is the first IPv4 address of a result (else the first), as
// the kubelet shows a pod's primary IP.
func resultIP(res types.Result) string {
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return ""
	}
	first := ""
	for _, ip := range r.IPs {
		if ip.Address.IP.To4() != nil {
			return ip.Address.IP.String()
		}
		if first == "" {
			first = ip.Address.IP.String()
		}
	}
	return first
}

// cniExec runs a plugin in the node's network namespaces
// (sandbox.ExecInNode): as root, as libcni would; rootless, in the
// shared network's user and network namespaces.
type cniExec struct {
	raw         invoke.RawExec
	xtablesLock string
}

func (e *cniExec) ExecPlugin(ctx context.Context, plugin string, stdin []byte, environ []string) ([]byte, error) {
	if slices.Contains(environ, "CNI_COMMAND=VERSION") {
		// (VERSION, Status's check of the plugins, needs no namespace.)
		return e.raw.ExecPlugin(ctx, plugin, stdin, environ)
	}
	// iptables (the bridge plugin's ipMasq, portmap) takes its lock in
	// /run, which is root's: XTABLES_LOCKFILE moves it (iptables(8)).
	env := environ
	if os.Geteuid() != 0 {
		env = append(env, "XTABLES_LOCKFILE="+e.xtablesLock)
	}
	var stdout, stderr bytes.Buffer
	if err := sandbox.ExecInNode(ctx, plugin, env, bytes.NewReader(stdin), &stdout, &stderr); err != nil {
		// A plugin's error is JSON on stdout (the CNI spec, "Error").
		var perr types.Error
		if json.Unmarshal(stdout.Bytes(), &perr) == nil && perr.Msg != "" {
			return nil, &perr
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s: %s", filepath.Base(plugin), msg)
	}
	return stdout.Bytes(), nil
}

func (e *cniExec) FindInPath(plugin string, paths []string) (string, error) {
	return invoke.FindInPath(plugin, paths)
}

func (e *cniExec) Decode(b []byte) (version.PluginInfo, error) {
	var d version.PluginDecoder
	return d.Decode(b)
}
