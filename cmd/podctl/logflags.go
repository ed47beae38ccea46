package main

import (
	"fmt"

	"github.com/podctl/podctl/cgroups"
	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/sandbox/model"
)

// logFlags set a new pod's log rotation, as the kubelet's
// containerLogMaxSize and containerLogMaxFiles.
func logFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-max-size", Usage: "rotate a container's log when it would grow past this size, e.g. 10m (default: 10m, the kubelet's)"},
		&cli.IntFlag{Name: "log-max-files", Usage: "log files kept per container run, the live one and rotated ones, at least 2 (default: 5, the kubelet's)"},
	}
}

// logConfig reads them into spec.
func logConfig(c *cli.Context, spec *model.PodSpec) error {
	if v := c.String("log-max-size"); v != "" {
		n, err := cgroups.ParseBytes(v)
		if err == nil && n <= 0 {
			err = fmt.Errorf("give a positive size, e.g. 10m")
		}
		if err != nil {
			return usageError{fmt.Errorf("--log-max-size: %w", err)}
		}
		spec.LogMaxSize = n
	}
	if c.IsSet("log-max-files") {
		if spec.LogMaxFiles = c.Int("log-max-files"); spec.LogMaxFiles < 2 {
			return usageError{fmt.Errorf("--log-max-files %d: at least 2, the live file and one rotated", spec.LogMaxFiles)}
		}
	}
	return nil
}
