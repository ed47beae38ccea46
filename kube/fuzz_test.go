package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/model"
	corev1 "k8s.io/api/core/v1"
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
				checkConverted(t, o, look)
			}
		}
		if len(bytes.TrimSpace([]byte(s))) == 0 {
			t.Fatal("an empty manifest decoded into objects")
		}
	})
}

// checkConverted: Convert either refuses the pod with an error that names
// it and says what is wrong, or returns a plan that is the pod: its name,
// one container per init and app container of the manifest, in order, each
// with its name and image, and a plan that survives the trip through
// JSON that state.json makes.
func checkConverted(t *testing.T, o Object, look Lookup) {
	t.Helper()
	plan, err := Convert(o.Pod, o.Raw, look, true)
	if err != nil {
		var ce *ConvertError
		if errors.As(err, &ce) && (ce.Pod != o.Pod.Name || len(ce.Errs) == 0) {
			t.Fatalf("a ConvertError that names pod %q, not %q, or says nothing: %v", ce.Pod, o.Pod.Name, err)
		}
		if err.Error() == "" {
			t.Fatal("Convert failed with an empty error")
		}
		return
	}
	if plan.Spec.Name != o.Pod.Name {
		t.Fatalf("plan of pod %q is named %q", o.Pod.Name, plan.Spec.Name)
	}
	want := append(append([]corev1.Container{}, o.Pod.Spec.InitContainers...), o.Pod.Spec.Containers...)
	if len(plan.Containers) != len(want) {
		t.Fatalf("pod %q: %d containers in the manifest, %d in the plan", o.Pod.Name, len(want), len(plan.Containers))
	}
	for i, c := range plan.Containers {
		if c.Name != want[i].Name || c.Image != want[i].Image {
			t.Fatalf("container %d: plan has %q (%q), manifest %q (%q)", i, c.Name, c.Image, want[i].Name, want[i].Image)
		}
		if c.Init != (i < len(o.Pod.Spec.InitContainers)) {
			t.Fatalf("container %q: init %v in the plan", c.Name, c.Init)
		}
	}
	b, err := json.Marshal(plan.Containers)
	if err != nil {
		t.Fatalf("the plan's containers do not marshal: %v", err)
	}
	var back []model.ContainerSpec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, plan.Containers) {
		t.Fatalf("the plan's containers change through JSON: %v", err)
	}
}
