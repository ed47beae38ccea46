package cliargs

import (
	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/version"
)

// Versioned gives app the --version flag, printing podctl's one version.
func Versioned(app *cli.App) *cli.App {
	app.Version = version.Version
	return app
}
