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

// SaveConfigMap and SaveSecret keep an object for the pods that use it,
// once its keys and size pass the API server's checks.
func SaveConfigMap(cm *corev1.ConfigMap) error {
	if err := checkKeys("configmap", cm.Name, configMapSizes(cm)); err != nil {
		return err
	}
	return save("configmap", cm.Name, cm)
}

func SaveSecret(s *corev1.Secret) error {
	if err := checkKeys("secret", s.Name, secretSizes(s)); err != nil {
		return err
	}
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

// ConfigMap and Secret read a kept object, checked again as when it was
// saved: the file is input like any other.
func ConfigMap(name string) (*corev1.ConfigMap, error) {
	var cm corev1.ConfigMap
	if err := load("configmap", name, &cm); err != nil {
		return &cm, err
	}
	return &cm, corrupt(checkKeys("configmap", name, configMapSizes(&cm)), "configmap", name)
}

func Secret(name string) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := load("secret", name, &s); err != nil {
		return &s, err
	}
	return &s, corrupt(checkKeys("secret", name, secretSizes(&s)), "secret", name)
}

// corrupt: a kept object that fails the checks it passed when saved was
// changed behind podctl's back.
func corrupt(err error, kind, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("corrupt %s in the state directory: %w (podctl %s rm %s, then create it again)", kind, err, kind, name)
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
