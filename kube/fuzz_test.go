package kube

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecode: no manifest panics the decoder, the support check or the
// conversion; an accepted document always names its kind and object.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: x\n    ports: [{containerPort: 80, hostPort: 8080}]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {k: v}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, configMap: {name: c, items: [{key: a, path: x/y}]}}]\n  containers: [{name: a, image: x, volumeMounts: [{name: v, mountPath: /v, subPath: s}], livenessProbe: {httpGet: {port: http}}}]\n",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}",
		"kind: Pod\napiVersion: v1\nmetadata: {name: [\n", "---\n", "a: b\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		objs, err := Decode(strings.NewReader(s), "fuzz.yaml")
		if err != nil {
			return
		}
		look := Lookup{}
		for _, o := range objs {
			if o.Kind() == "" || o.Doc < 1 {
				t.Fatalf("object without kind or position: %+v", o)
			}
			if _, err := Unsupported(o.Raw, o.Kind()); err != nil {
				t.Fatalf("Unsupported of a decoded document: %v", err)
			}
			if o.Pod != nil {
				// No ConfigMap or Secret is kept in a fuzz run: the
				// lookups of the state root fail, which is fine.
				Convert(o.Pod, o.Raw, look, true)
			}
		}
		if len(bytes.TrimSpace([]byte(s))) == 0 {
			t.Fatal("an empty manifest decoded into objects")
		}
	})
}
