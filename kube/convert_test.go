package kube

import (
	"strings"
	"testing"

	"github.com/podctl/podctl/sandbox/model"
)

// convertYAML decodes one Pod and converts it.
func convertYAML(t *testing.T, yaml string) (*Plan, error) {
	t.Helper()
	objs, err := Decode(strings.NewReader(yaml), "f.yaml")
	if err != nil {
		return nil, err
	}
	return Convert(objs[0].Pod, objs[0].Raw, Lookup{}, false)
}

// emptyDirPod is a pod whose second volume is an emptyDir with sizeLimit.
func emptyDirPod(medium, limit string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n  - {name: plain, emptyDir: {}}\n" +
		"  - {name: sized, emptyDir: {medium: \"" + medium + "\", sizeLimit: " + limit + "}}\n" +
		"  containers: [{name: a, image: x}]\n"
}

// An emptyDir's sizeLimit becomes a limit in bytes, with Kubernetes'
// spelling of it for the eviction message; both media; zero is no limit.
func TestConvertEmptyDirSizeLimit(t *testing.T) {
	for _, c := range []struct {
		medium, limit string
		want          model.SizeLimit
	}{
		{"", "1Mi", model.SizeLimit{Bytes: 1 << 20, Quantity: "1Mi"}},
		{"Memory", "64Ki", model.SizeLimit{Bytes: 64 << 10, Quantity: "64Ki"}},
		{"", "1024Ki", model.SizeLimit{Bytes: 1 << 20, Quantity: "1Mi"}}, // Quantity's canonical form, as the kubelet prints it
		{"", "2G", model.SizeLimit{Bytes: 2e9, Quantity: "2G"}},
		{"", "1000", model.SizeLimit{Bytes: 1000, Quantity: "1k"}},
		{"", "1500m", model.SizeLimit{Bytes: 1, Quantity: "1500m"}}, // 2 bytes are over 1.5
		{"", "500m", model.SizeLimit{Bytes: 0, Quantity: "500m"}},   // a limit: 1 byte is over it
		{"", "0", model.SizeLimit{}},
	} {
		plan, err := convertYAML(t, emptyDirPod(c.medium, c.limit))
		if err != nil {
			t.Errorf("sizeLimit %s: %v", c.limit, err)
			continue
		}
		if len(plan.Volumes) != 2 || plan.Volumes[1].Name != "sized" || !plan.Volumes[1].Empty {
			t.Fatalf("sizeLimit %s: volumes %+v", c.limit, plan.Volumes)
		}
		if got := plan.Volumes[1].SizeLimit; got != c.want {
			t.Errorf("medium %q, sizeLimit %s: %+v, want %+v", c.medium, c.limit, got, c.want)
		}
		if got := plan.Volumes[0].SizeLimit; got != (model.SizeLimit{}) {
			t.Errorf("the emptyDir without sizeLimit got %+v", got)
		}
	}
}

// A negative, malformed or uncountable sizeLimit is refused, with its path.
func TestConvertEmptyDirSizeLimitRefused(t *testing.T) {
	for _, c := range []struct{ limit, want string }{
		{"-1Mi", "spec.volumes[1].emptyDir.sizeLimit: -1Mi: SizeLimit field must be a valid resource quantity"},
		{"lots", `spec.volumes[1].emptyDir.sizeLimit: "lots": quantities must match`},
		{"1.5.5Mi", `spec.volumes[1].emptyDir.sizeLimit: "1.5.5Mi": quantities must match`},
		{"1e30", "spec.volumes[1].emptyDir.sizeLimit: 1e+30: more bytes than podctl can count"},
	} {
		_, err := convertYAML(t, emptyDirPod("", c.limit))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sizeLimit %s: %v; want an error containing %q", c.limit, err, c.want)
		}
	}
	// A malformed quantity elsewhere is named too.
	_, err := convertYAML(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x, resources: {limits: {cpu: 1, memory: 12X}}}]\n")
	if want := `spec.containers[0].resources.limits.memory: "12X"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a bad memory limit: %v; want an error containing %q", err, want)
	}
}

// metadata.namespace is validated as the API server does (a DNS label) and
// kept as the kubelet's namespace label; generate kube gives it back.
func TestConvertNamespace(t *testing.T) {
	pod := func(ns string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: \"" + ns + "\"}\nspec:\n  containers: [{name: a, image: x}]\n"
	}
	for _, bad := range []string{"../../etc", "Team", "a_b", strings.Repeat("n", 64)} {
		if _, err := convertYAML(t, pod(bad)); err == nil || !strings.Contains(err.Error(), "metadata.namespace") {
			t.Errorf("namespace %q: %v, want a refusal naming metadata.namespace", bad, err)
		}
	}
	plan, err := convertYAML(t, pod("team-a"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Spec.Labels[model.LabelNamespace]; got != "team-a" {
		t.Errorf("namespace team-a kept as %q (labels %v)", got, plan.Spec.Labels)
	}
	out, err := Generate(&model.PodState{Spec: plan.Spec})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "namespace: team-a") {
		t.Errorf("generate kube lost the namespace:\n%s", out)
	}
}

// Kept objects' keys and size, as the API server checks them.
func TestCheckKeys(t *testing.T) {
	for _, c := range []struct {
		sizes map[string]int
		ok    bool
	}{
		{map[string]int{"a.conf": 10, "b-c_D": 1}, true},
		{map[string]int{"../evil": 1}, false},
		{map[string]int{"..": 1}, false},
		{map[string]int{".": 1}, false},
		{map[string]int{"a/b": 1}, false},
		{map[string]int{"a\nb": 1}, false},
		{map[string]int{"": 1}, false},
		{map[string]int{"big": MaxKeptBytes - 3}, true},
		{map[string]int{"big": MaxKeptBytes - 2}, false}, // the key's 3 bytes count too
	} {
		if err := checkKeys("configmap", "c", c.sizes); (err == nil) != c.ok {
			t.Errorf("%v: %v, want ok=%v", c.sizes, err, c.ok)
		}
	}
}

// The pod's sysctls, hostIPC and supplementary groups, and a container's
// allowPrivilegeEscalation, become the pod's and containers' specs; a
// host-wide sysctl and an unknown policy are refused with their paths.
func TestConvertSecurity(t *testing.T) {
	plan, err := convertYAML(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostIPC: true\n"+
		"  securityContext:\n    supplementalGroups: [1234, 5678]\n    supplementalGroupsPolicy: Strict\n"+
		"    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: \"0\"}]\n"+
		"  containers:\n  - {name: a, image: x, securityContext: {allowPrivilegeEscalation: true}}\n  - {name: b, image: x}\n")
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Spec.HostIPC || plan.Spec.Sysctls["net.ipv4.ip_unprivileged_port_start"] != "0" {
		t.Errorf("pod spec %+v: want hostIPC and the sysctl", plan.Spec)
	}
	a, b := plan.Containers[0], plan.Containers[1]
	if len(a.Groups) != 2 || a.Groups[1] != 5678 || !a.GroupsStrict || len(b.Groups) != 2 {
		t.Errorf("groups: %v %v, %v: want 1234 5678, Strict, in both", a.Groups, a.GroupsStrict, b.Groups)
	}
	if !a.AllowPrivilegeEscalation || b.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation: %v, %v; want true only where the manifest says so (podctl's default sets no_new_privs)", a.AllowPrivilegeEscalation, b.AllowPrivilegeEscalation)
	}
	// generate kube says them again, and they convert back the same.
	st := &model.PodState{Spec: plan.Spec}
	for _, c := range plan.Containers {
		st.Containers = append(st.Containers, model.ContainerStatus{Spec: c})
	}
	yaml, err := Generate(st)
	if err != nil {
		t.Fatal(err)
	}
	again, err := convertYAML(t, string(yaml))
	if err != nil {
		t.Fatalf("the generated manifest:\n%s\n%v", yaml, err)
	}
	if !again.Spec.HostIPC || len(again.Spec.Sysctls) != 1 || !again.Containers[0].GroupsStrict || len(again.Containers[1].Groups) != 2 ||
		!again.Containers[0].AllowPrivilegeEscalation || again.Containers[1].AllowPrivilegeEscalation {
		t.Errorf("generated and converted again:\n%s\nlost what the first had", yaml)
	}
	for _, c := range []struct{ yaml, says string }{
		{"  securityContext: {sysctls: [{name: vm.swappiness, value: \"1\"}]}\n", "spec.securityContext.sysctls: sysctl vm.swappiness"},
		{"  securityContext: {supplementalGroupsPolicy: Loose}\n", "spec.securityContext.supplementalGroupsPolicy"},
		{"  securityContext: {supplementalGroups: [-1]}\n", "spec.securityContext.supplementalGroups[0]"},
	} {
		_, err := convertYAML(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"+c.yaml+"  containers: [{name: a, image: x}]\n")
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v; want an error naming %s", c.yaml, err, c.says)
		}
	}
}
