package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/podctl/podctl/cmd/internal/cli"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
)

func loginCommand() *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "check credentials with a registry and keep them in auth.json",
		ArgsUsage: "REGISTRY",
		Flags: []cli.Flag{tlsFlag(), authFlag(),
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "user name"},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Usage: "password (visible to other processes: prefer --password-stdin)"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password from standard input"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{errors.New("login: podctl login -u USER --password-stdin REGISTRY")}
			}
			registry := c.Args().First()
			user, pass := c.String("username"), c.String("password")
			if user == "" {
				return usageError{errors.New("login: --username is required")}
			}
			if c.Bool("password-stdin") || pass == "" {
				line, err := bufio.NewReader(os.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("login: reading the password from standard input: %w", err)
				}
				pass = strings.TrimRight(line, "\r\n")
			}
			sys := systemContext(c)
			if err := docker.CheckAuth(c.Context, sys, user, pass, registry); err != nil {
				return fmt.Errorf("login to %s: %w", registry, err)
			}
			file, err := config.SetCredentials(sys, registry, user, pass)
			if err != nil {
				return fmt.Errorf("login to %s: saving the credentials: %w", registry, err)
			}
			fmt.Fprintf(os.Stderr, "Login Succeeded (credentials in %s)\n", file)
			return nil
		},
	}
}

func logoutCommand() *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "forget the credentials of a registry",
		ArgsUsage: "REGISTRY",
		Flags:     []cli.Flag{authFlag(), &cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "of every registry"}},
		Action: func(c *cli.Context) error {
			sys := systemContext(c)
			if c.Bool("all") {
				return config.RemoveAllAuthentication(sys)
			}
			if c.NArg() != 1 {
				return usageError{errors.New("logout: podctl logout REGISTRY (or --all)")}
			}
			if err := config.RemoveAuthentication(sys, c.Args().First()); err != nil {
				return fmt.Errorf("logout from %s: %w", c.Args().First(), err)
			}
			return nil
		},
	}
}
