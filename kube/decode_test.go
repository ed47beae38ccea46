package kube

import (
	"strings"
	"testing"
)

func TestDecodeErrorsNamePaths(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    imagee: x\n", `document 1 (Pod web): unknown field "spec.containers[0].imagee"`},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: eighty\n", "spec.containers.ports.containerPort: expected a number, got string"},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    name: b\n", `key "name" already set in map`},
		{"apiVersion: apps/v1\nkind: Deployment\n", `kind "Deployment" is not supported`},
		{"apiVersion: v2\nkind: Pod\n", `apiVersion "v2": a Pod is "v1"`},
		{"metadata: {name: x}\n", `no "kind"`},
		{"---\n---\n", "no object in it"},
		{"apiVersion: v1\nkind: Pod\nMetadata: {name: x}\n", `unknown field "Metadata"`}, // case sensitive, as the API server
	} {
		_, err := Decode(strings.NewReader(c.yaml), "f.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v; want one line with %q", c.yaml, err, c.want)
		}
	}
}

func TestUnsupportedPaths(t *testing.T) {
	raw := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"},"uid":"x"},
	"spec":{"hostIPC":false,"hostUsers":true,"nodeSelector":{"d":"s"},"containers":[{"name":"a","image":"x",
	"resources":{"limits":{"memory":"1Gi","nvidia.com/gpu":"1"}},"livenessProbe":{"grpc":{"port":1}},"securityContext":{"seLinuxOptions":{"level":"s0"}}}]}}`
	got, err := Unsupported([]byte(raw), "Pod")
	if err != nil {
		t.Fatal(err)
	}
	want := "metadata.uid spec.containers[0].livenessProbe.grpc spec.containers[0].resources.limits.nvidia.com/gpu spec.containers[0].securityContext.seLinuxOptions spec.hostUsers spec.nodeSelector"
	if strings.Join(got, " ") != want {
		t.Errorf("Unsupported:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}
