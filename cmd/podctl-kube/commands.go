package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/cmd/internal/cli"
	"github.com/podctl/podctl/images"
	"github.com/podctl/podctl/kube"
	"github.com/podctl/podctl/netsetup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kubeCommands are kubectl's habits: apply -f, delete -f, generate kube,
// configmap create and secret create (kube/).
func kubeCommands() []*cli.Command {
	fileFlag := &cli.StringSliceFlag{Name: "filename", Aliases: []string{"f"}, Usage: "a manifest (YAML or JSON, several documents separated by ---), or - for standard input", Required: true}
	return []*cli.Command{{
		Name:  "apply",
		Usage: "make the Pods, ConfigMaps and Secrets of Kubernetes manifests (kubectl apply -f)",
		Flags: []cli.Flag{fileFlag,
			&cli.StringFlag{Name: "validate", Value: "strict", Usage: "strict: a field podctl does not support is an error; warn: a warning, and the pod runs without it"},
			&cli.StringFlag{Name: "network", Usage: "the network of the pods that are not hostNetwork: pasta (default when installed), slirp4netns, bridge or none"},
			&cli.BoolFlag{Name: "port-bypass", Usage: "with pasta: each TCP hostPort is the workload's own socket, bound on the host (no forwarder; the pod's own localhost no longer reaches that port, nor do its probes)"},
		},
		Action: func(c *cli.Context) error {
			warn := false
			switch c.String("validate") {
			case "strict", "true":
			case "warn":
				warn = true
			default:
				return usageError{fmt.Errorf("apply: --validate %q: strict or warn", c.String("validate"))}
			}
			objs, err := readManifests(c.StringSlice("filename"))
			if err != nil {
				return err
			}
			o := kube.ApplyOptions{Warn: warn, Out: os.Stdout, Notices: os.Stderr, Pull: pullImage, PortBypass: c.Bool("port-bypass")}
			if c.IsSet("network") {
				if o.Network, err = netsetup.ParseMode(c.String("network")); err != nil {
					return usageError{err}
				}
				if o.Network == netsetup.Host {
					return usageError{fmt.Errorf("apply: --network host: say hostNetwork: true in the Pod instead")}
				}
			}
			return kube.Apply(c.Context, objs, o)
		},
	}, {
		Name:  "delete",
		Usage: "stop and remove the Pods, and remove the ConfigMaps and Secrets, of manifests (kubectl delete -f)",
		Flags: []cli.Flag{fileFlag,
			&cli.IntFlag{Name: "grace-period", Value: -1, Usage: "seconds the containers get after SIGTERM (default: each pod's terminationGracePeriodSeconds, else 30)"},
			&cli.BoolFlag{Name: "now", Usage: "--grace-period=1, as kubectl's"},
		},
		Action: func(c *cli.Context) error {
			objs, err := readManifests(c.StringSlice("filename"))
			if err != nil {
				return err
			}
			grace := time.Duration(c.Int("grace-period")) * time.Second
			if c.Int("grace-period") < 0 {
				grace = -1
			}
			if c.Bool("now") {
				grace = time.Second
			}
			return kube.DeleteObjects(c.Context, objs, os.Stdout, grace)
		},
	}, {
		Name:  "generate",
		Usage: "print a pod as YAML: podctl generate kube POD",
		Subcommands: []*cli.Command{{
			Name:      "kube",
			Usage:     "the Pod manifest of a pod, for kubectl or podctl apply",
			ArgsUsage: "POD",
			Action: func(c *cli.Context) error {
				name, err := onePod(c)
				if err != nil {
					return err
				}
				st, _, err := model.ReadState(name)
				if err != nil {
					return err
				}
				out, err := kube.Generate(st)
				if err != nil {
					return err
				}
				_, err = os.Stdout.Write(out)
				return err
			},
		}},
	}, keptCommand("configmap"), keptCommand("secret")}
}

// keptCommand is podctl configmap|secret create|ls|rm.
func keptCommand(kind string) *cli.Command {
	from := []cli.Flag{
		&cli.StringSliceFlag{Name: "from-file", Usage: "[KEY=]FILE: a key whose value is the file's content (KEY: the file's name)"},
		&cli.StringSliceFlag{Name: "from-literal", Usage: "KEY=VALUE"},
	}
	return &cli.Command{
		Name:  kind,
		Usage: kind + "s for pods made with podctl apply: create, ls, rm (kubectl create " + kind + ")",
		Subcommands: []*cli.Command{{
			Name:      "create",
			Usage:     "keep a " + kind + " made from files and literals",
			ArgsUsage: "NAME",
			Flags:     from,
			Action: func(c *cli.Context) error {
				args := c.Args().Slice()
				// kubectl create secret generic NAME: the same.
				if len(args) > 0 && args[0] == "generic" && kind == "secret" {
					args = args[1:]
				}
				if len(args) != 1 {
					return usageError{fmt.Errorf("%s create: name exactly one %s", kind, kind)}
				}
				data, err := keyValues(c.StringSlice("from-file"), c.StringSlice("from-literal"))
				if err != nil {
					return err
				}
				meta := metav1.ObjectMeta{Name: args[0]}
				if err := model.ValidateName(kind, args[0]); err != nil {
					return usageError{err}
				}
				if kind == "configmap" {
					if _, err := kube.ConfigMap(args[0]); !errors.Is(err, kube.ErrNotFound) {
						return fmt.Errorf("configmap %q already exists (podctl configmap rm %s first)", args[0], args[0])
					}
					cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta, Data: map[string]string{}}
					for k, v := range data {
						cm.Data[k] = string(v)
					}
					err = kube.SaveConfigMap(cm)
				} else {
					if _, err := kube.Secret(args[0]); !errors.Is(err, kube.ErrNotFound) {
						return fmt.Errorf("secret %q already exists (podctl secret rm %s first)", args[0], args[0])
					}
					err = kube.SaveSecret(&corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: meta,
						Type: corev1.SecretTypeOpaque, Data: data})
				}
				if err == nil {
					fmt.Printf("%s/%s created\n", kind, args[0])
				}
				return err
			},
		}, {
			Name:  "ls",
			Usage: "list the kept " + kind + "s",
			Action: func(c *cli.Context) error {
				names, err := kube.List(kind)
				for _, n := range names {
					fmt.Println(n)
				}
				return err
			},
		}, {
			Name:      "rm",
			Usage:     "remove " + kind + "s",
			ArgsUsage: "NAME...",
			Action: func(c *cli.Context) error {
				var errs []error
				for _, n := range c.Args().Slice() {
					errs = append(errs, kube.Delete(kind, n))
				}
				return errors.Join(errs...)
			},
		}},
	}
}

// keyValues reads --from-file and --from-literal as kubectl does.
func keyValues(files, literals []string) (map[string][]byte, error) {
	data := map[string][]byte{}
	add := func(k string, v []byte, flag string) error {
		if _, dup := data[k]; dup {
			return usageError{fmt.Errorf("%s: key %q given twice", flag, k)}
		}
		data[k] = v
		return nil
	}
	for _, f := range files {
		key, path, ok := strings.Cut(f, "=")
		if !ok {
			key, path = filepath.Base(f), f
		}
		b, err := readBounded(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("--from-file %s: %w", f, err)}
		}
		if err := add(key, b, "--from-file"); err != nil {
			return nil, err
		}
	}
	for _, l := range literals {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--from-literal %q: KEY=VALUE", l)}
		}
		if err := add(k, []byte(v), "--from-literal"); err != nil {
			return nil, err
		}
	}
	if len(data) == 0 {
		return nil, usageError{errors.New("give --from-file or --from-literal")}
	}
	return data, nil
}

// readBounded reads a --from-file, but never more than a ConfigMap or
// Secret may hold: /dev/zero or a large file is refused after 1 MiB read,
// not read whole into memory first.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, kube.MaxKeptBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > kube.MaxKeptBytes {
		return nil, fmt.Errorf("more than %d bytes (1 MiB), Kubernetes' limit for a ConfigMap or Secret", kube.MaxKeptBytes)
	}
	return b, nil
}

// readManifests decodes every -f (- is standard input).
func readManifests(files []string) ([]kube.Object, error) {
	var all []kube.Object
	for _, f := range files {
		var r io.Reader = os.Stdin
		name := "standard input"
		if f != "-" {
			file, err := os.Open(f)
			if err != nil {
				return nil, usageError{fmt.Errorf("-f %s: %w", f, err)}
			}
			defer file.Close()
			r, name = file, f
		}
		objs, err := kube.Decode(r, name)
		if err != nil {
			return nil, usageError{err}
		}
		all = append(all, objs...)
	}
	return all, nil
}

// pullImage runs podctl-image pull for apply's imagePullPolicy.
func pullImage(image string) error {
	path, err := images.Binary(images.TransportBinary)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "pull", "-q", image)
	cmd.Args[0] = images.TransportBinary
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("podctl pull %s: %s", image, strings.TrimSpace(string(out)))
	}
	return nil
}
