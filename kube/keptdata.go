package kube

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxKeptBytes is Kubernetes' limit on what one ConfigMap or Secret holds
// (core.MaxSecretSize, 1 MiB, which the API server's ValidateConfigMap
// applies to ConfigMaps too): every key and value counted.
const MaxKeptBytes = 1 << 20

// checkKeys validates a ConfigMap's or Secret's keys and size as the API
// server does: each key becomes a file name in the pod's volume, so it must
// be one path element of [-._a-zA-Z0-9] that is not "." or ".."
// (validation.IsConfigMapKey): "a/b" would make a directory, "../x" would
// name a file outside the volume. It runs on every save (podctl configmap
// create, apply) and every load (a kept object is read back from the state
// root, which another process may have changed).
func checkKeys(kind, name string, sizes map[string]int) error {
	keys := make([]string, 0, len(sizes))
	total := 0
	for k, n := range sizes {
		keys = append(keys, k)
		total += len(k) + n
	}
	sort.Strings(keys)
	for _, k := range keys {
		if errs := validation.IsConfigMapKey(k); len(errs) > 0 {
			return fmt.Errorf("%s %q: key %q: %s", kind, name, k, strings.Join(errs, "; "))
		}
	}
	if total > MaxKeptBytes {
		return fmt.Errorf("%s %q holds %d bytes: more than %d (1 MiB), Kubernetes' limit for a %s; keep large data in a volume instead",
			kind, name, total, MaxKeptBytes, kind)
	}
	return nil
}

func configMapSizes(cm *corev1.ConfigMap) map[string]int {
	return addSizes(addSizes(map[string]int{}, cm.Data), cm.BinaryData)
}

func secretSizes(s *corev1.Secret) map[string]int {
	return addSizes(addSizes(map[string]int{}, s.Data), s.StringData)
}

// addSizes adds each value's length to its key's (a key in both a
// ConfigMap's data and binaryData counts twice, as it takes twice).
func addSizes[V string | []byte](sizes map[string]int, m map[string]V) map[string]int {
	for k, v := range m {
		sizes[k] += len(v)
	}
	return sizes
}
