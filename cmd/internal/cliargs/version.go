package cliargs

import (
	"github.com/podctl/podctl/version"
	"github.com/urfave/cli/v2"
)

// Versioned gives app the --version flag, printing podctl's one version.
// Without urfave's -v alias: -v is a command's volume flag (podctl run
// -v), and a program's flags must not shadow a command's.
func Versioned(app *cli.App) *cli.App {
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print podctl's version"}
	app.Version = version.Version
	return app
}
