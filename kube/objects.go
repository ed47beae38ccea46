package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/podctl/podctl/sandbox/model"

	corev1 "k8s.io/api/core/v1"
)

// ConfigMaps and Secrets are kept as the user gave them, one JSON file
// each, in the state root (a tmpfs, $XDG_RUNTIME_DIR, for the user alone:
// mode 0700 and 0600), where the pods that use them find them: a secret
// never touches a disk, as the kubelet keeps secret volumes in a tmpfs.
func objectDir(kind string) (string, error) {
	root, err := model.StateRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "kube", kind), nil
}

func objectPath(kind, name string) (string, error) {
	if err := model.ValidateName(kind, name); err != nil {
		return "", err
	}
	dir, err := objectDir(kind)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name+".json"), nil
}

// save writes an object atomically (a temporary file renamed over it).
func save(kind, name string, obj any) error {
	path, err := objectPath(kind, name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ErrNotFound: no such ConfigMap or Secret.
var ErrNotFound = errors.New("not found")

func load(kind, name string, obj any) error {
	path, err := objectPath(kind, name)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, obj)
}

// SaveConfigMap and SaveSecret keep an object for the pods that use it.
func SaveConfigMap(cm *corev1.ConfigMap) error { return save("configmap", cm.Name, cm) }
func SaveSecret(s *corev1.Secret) error {
	// stringData is write-only in Kubernetes: merged into data.
	if len(s.StringData) > 0 {
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		for k, v := range s.StringData {
			s.Data[k] = []byte(v)
		}
		s.StringData = nil
	}
	return save("secret", s.Name, s)
}

// ConfigMap and Secret read a kept object.
func ConfigMap(name string) (*corev1.ConfigMap, error) {
	var cm corev1.ConfigMap
	return &cm, load("configmap", name, &cm)
}

func Secret(name string) (*corev1.Secret, error) {
	var s corev1.Secret
	return &s, load("secret", name, &s)
}

// Delete removes a kept object; a missing one is ErrNotFound.
func Delete(kind, name string) error {
	path, err := objectPath(kind, name)
	if err != nil {
		return err
	}
	if err := os.Remove(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	} else if err != nil {
		return err
	}
	return nil
}

// List names the kept objects of kind ("configmap" or "secret").
func List(kind string) ([]string, error) {
	dir, err := objectDir(kind)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, err
}
