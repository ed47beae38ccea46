package kube

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/podctl/podctl/sandbox/model"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// env resolves a container's environment as the kubelet does when it
// starts it: envFrom first (each key, with its prefix; keys that are not
// valid variable names are skipped, as the kubelet skips them), then env
// in order, each value from itself, a ConfigMap or Secret key, or a field
// of the pod. $(VAR) references are left as written: podctl does not
// expand them (the kubelet does; a manifest relying on it is refused).
func (c *converter) env(k *corev1.Container, at string, ctr *model.ContainerSpec) {
	set := map[string]string{}
	var order []string
	put := func(name, value string) {
		if _, ok := set[name]; !ok {
			order = append(order, name)
		}
		set[name] = value
	}
	for i, from := range k.EnvFrom {
		fat := fmt.Sprintf("%s.envFrom[%d]", at, i)
		var data map[string]string
		switch {
		case from.ConfigMapRef != nil:
			cm, err := c.look.configMap(from.ConfigMapRef.Name)
			if err != nil {
				if !(errors.Is(err, ErrNotFound) && from.ConfigMapRef.Optional != nil && *from.ConfigMapRef.Optional) {
					c.f.add(fat+".configMapRef.name", "%v", err)
				}
				continue
			}
			data = cm.Data
		case from.SecretRef != nil:
			s, err := c.look.secret(from.SecretRef.Name)
			if err != nil {
				if !(errors.Is(err, ErrNotFound) && from.SecretRef.Optional != nil && *from.SecretRef.Optional) {
					c.f.add(fat+".secretRef.name", "%v", err)
				}
				continue
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		default:
			c.f.add(fat, "needs configMapRef or secretRef")
			continue
		}
		keys := make([]string, 0, len(data))
		for key := range data {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			if len(validation.IsEnvVarName(from.Prefix+key)) == 0 {
				put(from.Prefix+key, data[key])
			}
		}
	}
	for i, e := range k.Env {
		eat := fmt.Sprintf("%s.env[%d]", at, i)
		if errs := validation.IsEnvVarName(e.Name); len(errs) > 0 {
			c.f.add(eat+".name", "%q: %s", e.Name, strings.Join(errs, "; "))
			continue
		}
		if strings.Contains(e.Value, "$(") {
			c.f.add(eat+".value", "podctl does not expand $(VAR) references; write the value out")
			continue
		}
		if err := model.CheckExecString(e.Name + "=" + e.Value); err != nil {
			c.f.add(eat+".value", "%v", err)
			continue
		}
		if e.ValueFrom == nil {
			put(e.Name, e.Value)
			continue
		}
		v, err := c.valueFrom(e.ValueFrom)
		if err != nil {
			c.f.add(eat+".valueFrom", "%v", err)
			continue
		}
		if v != nil {
			put(e.Name, *v)
		}
	}
	for _, name := range order {
		ctr.Env = append(ctr.Env, name+"="+set[name])
	}
}

// valueFrom is one env value from elsewhere; nil for an optional key that
// is missing (the variable is then not set).
func (c *converter) valueFrom(src *corev1.EnvVarSource) (*string, error) {
	optional := func(o *bool) bool { return o != nil && *o }
	switch {
	case src.ConfigMapKeyRef != nil:
		r := src.ConfigMapKeyRef
		cm, err := c.look.configMap(r.Name)
		if err != nil {
			if errors.Is(err, ErrNotFound) && optional(r.Optional) {
				return nil, nil
			}
			return nil, err
		}
		if v, ok := cm.Data[r.Key]; ok {
			return &v, nil
		}
		if optional(r.Optional) {
			return nil, nil
		}
		return nil, fmt.Errorf("configMapKeyRef: ConfigMap %q has no key %q", r.Name, r.Key)
	case src.SecretKeyRef != nil:
		r := src.SecretKeyRef
		s, err := c.look.secret(r.Name)
		if err != nil {
			if errors.Is(err, ErrNotFound) && optional(r.Optional) {
				return nil, nil
			}
			return nil, err
		}
		if v, ok := s.Data[r.Key]; ok {
			str := string(v)
			return &str, nil
		}
		if v, ok := s.StringData[r.Key]; ok {
			return &v, nil
		}
		if optional(r.Optional) {
			return nil, nil
		}
		return nil, fmt.Errorf("secretKeyRef: Secret %q has no key %q", r.Name, r.Key)
	case src.FieldRef != nil:
		v, err := c.fieldRef(src.FieldRef.FieldPath)
		return &v, err
	}
	return nil, errors.New("podctl takes configMapKeyRef, secretKeyRef and fieldRef")
}

// fieldRef is the downward API's value of a pod field that is known when
// podctl starts the pod.
func (c *converter) fieldRef(p string) (string, error) {
	pod := c.pod
	if k, ok := strings.CutPrefix(p, "metadata.labels['"); ok && strings.HasSuffix(k, "']") {
		return pod.Labels[strings.TrimSuffix(k, "']")], nil
	}
	if k, ok := strings.CutPrefix(p, "metadata.annotations['"); ok && strings.HasSuffix(k, "']") {
		return pod.Annotations[strings.TrimSuffix(k, "']")], nil
	}
	switch p {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		if pod.Namespace == "" {
			return "default", nil
		}
		return pod.Namespace, nil
	case "spec.nodeName":
		return os.Hostname()
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	}
	return "", fmt.Errorf("fieldRef %q: podctl knows metadata.name, metadata.namespace, metadata.labels['K'], metadata.annotations['K'] and spec.nodeName (an IP is not known before the pod starts)", p)
}
