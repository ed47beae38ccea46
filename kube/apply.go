package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/podctl/podctl/sandbox"
	"github.com/podctl/podctl/sandbox/model"

	"github.com/podctl/podctl/netsetup"
	corev1 "k8s.io/api/core/v1"
)

// ApplyOptions: Warn is --validate=warn; Out gets kubectl's lines
// ("pod/web created"); Notices gets warnings; Pull copies an image into
// the store (podctl-image pull), for imagePullPolicy.
type ApplyOptions struct {
	Warn bool
	// Network, if set, is the network of every pod that is not
	// hostNetwork (podctl apply --network, as podman kube play's).
	Network netsetup.Mode
	// PortBypass: the hostPorts (TCP) of every pod are bypassed
	// (podctl apply --port-bypass, as podctl run's).
	PortBypass bool
	Out        io.Writer
	Notices    io.Writer
	Pull       func(image string) error
}

// Apply creates the objects of a manifest: ConfigMaps and Secrets are
// kept, then each Pod is made, detached. Every object is checked before
// anything is created, and a failure part-way removes what this apply
// made: an apply happens whole or not at all.
func Apply(ctx context.Context, objs []Object, o ApplyOptions) (err error) {
	look := Lookup{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	type podPlan struct {
		obj  Object
		plan *Plan
	}
	var pods []podPlan
	seen := map[string]int{}
	for _, obj := range objs {
		key := obj.Kind() + "/" + obj.Name()
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("document %d: %s is also document %d", obj.Doc, key, prev)
		}
		seen[key] = obj.Doc
		switch {
		case obj.ConfigMap != nil:
			if err := checkKept(obj, "configmap", o); err != nil {
				return err
			}
			look.ConfigMaps[obj.Name()] = obj.ConfigMap
		case obj.Secret != nil:
			if err := checkKept(obj, "secret", o); err != nil {
				return err
			}
			look.Secrets[obj.Name()] = obj.Secret
		}
	}
	for _, obj := range objs {
		if obj.Pod == nil {
			continue
		}
		plan, err := Convert(obj.Pod, obj.Raw, look, o.Warn)
		if err != nil {
			return fmt.Errorf("document %d: %w", obj.Doc, err)
		}
		if _, _, err := model.ReadState(obj.Name()); err == nil {
			return fmt.Errorf("document %d: pod %s already exists: podctl does not change a pod in place; podctl delete -f FILE (or podctl rm -f %s), then apply", obj.Doc, obj.Name(), obj.Name())
		}
		if o.Network != "" && plan.Spec.Network.Mode != netsetup.Host {
			plan.Spec.Network.Mode = o.Network
		}
		// A pod with no TCP hostPort has nothing to bypass.
		if o.PortBypass && plan.Spec.Network.PublishesTCP() {
			plan.Spec.Network.PortBypass = true
			if err := plan.Spec.Network.Validate(); err != nil {
				return fmt.Errorf("document %d: pod %s: %w", obj.Doc, obj.Name(), err)
			}
		}
		for _, w := range plan.Warnings {
			fmt.Fprintf(o.Notices, "podctl: warning: Pod %s: %s\n", obj.Name(), w)
		}
		pods = append(pods, podPlan{obj, plan})
	}
	// From here on, things are made; undo them on failure.
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	for _, obj := range objs {
		switch {
		case obj.ConfigMap != nil:
			prev, perr := ConfigMap(obj.Name())
			if err := SaveConfigMap(obj.ConfigMap); err != nil {
				return err
			}
			undo = append(undo, restore("configmap", obj.Name(), prev, perr))
			fmt.Fprintf(o.Out, "configmap/%s %s\n", obj.Name(), createdOr(perr))
		case obj.Secret != nil:
			prev, perr := Secret(obj.Name())
			if err := SaveSecret(obj.Secret); err != nil {
				return err
			}
			undo = append(undo, restore("secret", obj.Name(), prev, perr))
			fmt.Fprintf(o.Out, "secret/%s %s\n", obj.Name(), createdOr(perr))
		}
	}
	for _, p := range pods {
		if err := createHostPaths(p.plan.HostPaths); err != nil {
			return fmt.Errorf("pod %s: %w", p.obj.Name(), err)
		}
		if err := pullImages(p.obj.Pod, o); err != nil {
			return fmt.Errorf("pod %s: %w", p.obj.Name(), err)
		}
		err := sandbox.Apply(ctx, p.plan.Spec, p.plan.Containers, p.plan.Volumes, o.Notices)
		// imagePullPolicy IfNotPresent (podctl's default too): pull what
		// is missing, then once more; each missing image once.
		for tries := 0; err != nil && o.Pull != nil && tries < len(allContainers(p.obj.Pod)); tries++ {
			c := missingImage(p.obj.Pod, err)
			if c == nil {
				break
			}
			if perr := o.Pull(c.Image); perr != nil {
				return fmt.Errorf("pod %s: container %s: image %s is not in the store, and pulling it failed: %w", p.obj.Name(), c.Name, c.Image, perr)
			}
			err = sandbox.Apply(ctx, p.plan.Spec, p.plan.Containers, p.plan.Volumes, o.Notices)
		}
		if err != nil {
			return fmt.Errorf("pod %s: %w", p.obj.Name(), err)
		}
		name := p.obj.Name()
		undo = append(undo, func() { sandbox.Remove(ctx, name, true) })
		fmt.Fprintf(o.Out, "pod/%s created\n", name)
	}
	return nil
}

// checkKept checks a ConfigMap's or Secret's fields and name.
func checkKept(obj Object, kind string, o ApplyOptions) error {
	if err := model.ValidateName(kind, obj.Name()); err != nil {
		return fmt.Errorf("document %d: metadata.name: %w", obj.Doc, err)
	}
	bad, err := Unsupported(obj.Raw, obj.Kind())
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("document %d (%s %s): %s: not supported by podctl", obj.Doc, obj.Kind(), obj.Name(), strings.Join(bad, ", "))
	}
	if obj.Secret != nil && obj.Secret.Type != "" && obj.Secret.Type != corev1.SecretTypeOpaque {
		return fmt.Errorf("document %d (Secret %s): type %q: podctl keeps Opaque secrets", obj.Doc, obj.Name(), obj.Secret.Type)
	}
	return nil
}

func createdOr(prevErr error) string {
	if prevErr == nil {
		return "configured"
	}
	return "created"
}

// restore undoes the save of a kept object: back to prev, or removed.
func restore[T any](kind, name string, prev T, prevErr error) func() {
	return func() {
		if prevErr != nil {
			Delete(kind, name)
		} else {
			save(kind, name, prev)
		}
	}
}

func createHostPaths(paths []HostPath) error {
	for _, h := range paths {
		if h.Dir {
			if err := os.MkdirAll(h.Path, 0o755); err != nil {
				return fmt.Errorf("hostPath %s (DirectoryOrCreate): %w", h.Path, err)
			}
			continue
		}
		f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("hostPath %s (FileOrCreate): %w", h.Path, err)
		}
		f.Close()
	}
	return nil
}

// pullImages pulls the images of imagePullPolicy Always.
func pullImages(pod *corev1.Pod, o ApplyOptions) error {
	for _, c := range allContainers(pod) {
		if c.ImagePullPolicy == corev1.PullAlways {
			if o.Pull == nil {
				return errors.New("cannot pull images here")
			}
			if err := o.Pull(c.Image); err != nil {
				return fmt.Errorf("container %s: imagePullPolicy Always: %w", c.Name, err)
			}
		}
	}
	return nil
}

func allContainers(pod *corev1.Pod) []corev1.Container {
	return append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
}

// missingImage is the container whose image the store said is not there
// (images/store's message, `image "NAME" is not in the store`: it crossed
// a process boundary as text), if its policy lets podctl pull it.
func missingImage(pod *corev1.Pod, err error) *corev1.Container {
	msg := err.Error()
	i := strings.Index(msg, "is not in the store")
	j := strings.LastIndex(msg[:max(i, 0)], `image "`)
	if i < 0 || j < 0 {
		return nil
	}
	name := strings.TrimSuffix(strings.TrimSpace(msg[j+len(`image "`):i]), `"`)
	for _, c := range allContainers(pod) {
		if c.Image == name && c.ImagePullPolicy != corev1.PullNever {
			return &c
		}
	}
	return nil
}

// DeleteObjects removes what a manifest names: its pods (stopped with
// grace, or, when negative, each pod's terminationGracePeriodSeconds, as
// kubectl delete does), ConfigMaps and Secrets. Missing ones are
// reported, the rest still removed.
func DeleteObjects(ctx context.Context, objs []Object, out io.Writer, grace time.Duration) error {
	var errs []error
	for _, obj := range objs {
		var err error
		switch {
		case obj.Pod != nil:
			err = deletePod(ctx, obj.Name(), grace)
		case obj.ConfigMap != nil:
			err = Delete("configmap", obj.Name())
		case obj.Secret != nil:
			err = Delete("secret", obj.Name())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", strings.ToLower(obj.Kind()), obj.Name(), err))
			continue
		}
		fmt.Fprintf(out, "%s/%s deleted\n", strings.ToLower(obj.Kind()), obj.Name())
	}
	return errors.Join(errs...)
}

// deletePod stops the pod, then removes it.
func deletePod(ctx context.Context, name string, grace time.Duration) error {
	if _, _, err := model.ReadState(name); err != nil {
		return err
	}
	if err := sandbox.Stop(ctx, name, 0, grace); err != nil {
		return err
	}
	return sandbox.Remove(ctx, name, true)
}
