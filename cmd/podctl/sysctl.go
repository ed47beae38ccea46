package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/sandbox/model"
)

// sysctlFlag is --sysctl of a new pod (run, pod create).
func sysctlFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "sysctl", Usage: "set a kernel parameter of the new pod's own namespaces, KEY=VALUE: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.* (e.g. net.ipv4.ip_unprivileged_port_start=0)"}
}

// sysctlConfig reads --sysctl into spec; model.PodSpec.Validate checks
// the keys.
func sysctlConfig(c *cli.Context, spec *model.PodSpec) error {
	for _, kv := range c.StringSlice("sysctl") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError{fmt.Errorf("--sysctl %q: expected KEY=VALUE", kv)}
		}
		if spec.Sysctls == nil {
			spec.Sysctls = map[string]string{}
		}
		spec.Sysctls[k] = v
	}
	return nil
}

// groupAdd reads run's --group-add: numeric gids of the pod's user
// namespace, added to the user's supplementary groups.
func groupAdd(c *cli.Context) ([]uint32, error) {
	var out []uint32
	for _, g := range c.StringSlice("group-add") {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil || n == 1<<32-1 {
			return nil, usageError{fmt.Errorf("--group-add %q: give a numeric gid", g)}
		}
		out = append(out, uint32(n))
	}
	return out, nil
}
