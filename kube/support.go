package kube

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// The fields podctl honours, by path ([] stands for any list item, * for
// any key of a mapping). A field that is set (not null, false, 0, "", or
// empty) and is not here is refused with its path: podctl never parses a
// field and ignores it (../shared/NOTES.md §3: podman's kube play does).
var podFields = fieldSet(`
apiVersion kind
metadata.name metadata.namespace metadata.labels.* metadata.annotations.*
spec.restartPolicy spec.terminationGracePeriodSeconds spec.activeDeadlineSeconds
spec.hostname spec.hostNetwork spec.hostIPC spec.hostPID spec.shareProcessNamespace
spec.dnsPolicy spec.dnsConfig.nameservers spec.dnsConfig.searches spec.dnsConfig.options[].name spec.dnsConfig.options[].value
spec.hostAliases[].ip spec.hostAliases[].hostnames
spec.securityContext.runAsUser spec.securityContext.runAsGroup spec.securityContext.runAsNonRoot
spec.securityContext.supplementalGroups spec.securityContext.supplementalGroupsPolicy
spec.securityContext.sysctls[].name spec.securityContext.sysctls[].value
spec.volumes[].name
spec.volumes[].emptyDir.medium spec.volumes[].emptyDir.sizeLimit
spec.volumes[].hostPath.path spec.volumes[].hostPath.type
spec.volumes[].configMap.name spec.volumes[].configMap.items[].key spec.volumes[].configMap.items[].path spec.volumes[].configMap.items[].mode spec.volumes[].configMap.defaultMode spec.volumes[].configMap.optional
spec.volumes[].secret.secretName spec.volumes[].secret.items[].key spec.volumes[].secret.items[].path spec.volumes[].secret.items[].mode spec.volumes[].secret.defaultMode spec.volumes[].secret.optional
` + containerFields("spec.containers[]") + containerFields("spec.initContainers[]") + `
spec.initContainers[].restartPolicy
`)

// containerFields are those of one container, under prefix.
func containerFields(prefix string) string {
	var b strings.Builder
	for _, f := range strings.Fields(`
name image imagePullPolicy command args workingDir stdin stdinOnce tty
terminationMessagePath terminationMessagePolicy
env[].name env[].value
env[].valueFrom.configMapKeyRef.name env[].valueFrom.configMapKeyRef.key env[].valueFrom.configMapKeyRef.optional
env[].valueFrom.secretKeyRef.name env[].valueFrom.secretKeyRef.key env[].valueFrom.secretKeyRef.optional
env[].valueFrom.fieldRef.fieldPath env[].valueFrom.fieldRef.apiVersion
envFrom[].prefix envFrom[].configMapRef.name envFrom[].configMapRef.optional envFrom[].secretRef.name envFrom[].secretRef.optional
ports[].name ports[].containerPort ports[].hostPort ports[].hostIP ports[].protocol
volumeMounts[].name volumeMounts[].mountPath volumeMounts[].readOnly volumeMounts[].subPath
resources.limits.memory resources.limits.cpu resources.requests.memory resources.requests.cpu
securityContext.runAsUser securityContext.runAsGroup securityContext.runAsNonRoot
securityContext.readOnlyRootFilesystem securityContext.allowPrivilegeEscalation securityContext.privileged
securityContext.capabilities.add securityContext.capabilities.drop
`) {
		b.WriteString(" " + prefix + "." + f)
	}
	for _, probe := range []string{"livenessProbe", "readinessProbe", "startupProbe"} {
		for _, f := range strings.Fields(handlerFields + " initialDelaySeconds periodSeconds timeoutSeconds successThreshold failureThreshold") {
			b.WriteString(" " + prefix + "." + probe + "." + f)
		}
	}
	for _, hook := range []string{"postStart", "preStop"} {
		for _, f := range strings.Fields(handlerFields + " sleep.seconds") {
			if !strings.HasPrefix(f, "tcpSocket") { // deprecated for hooks, and never run by the kubelet
				b.WriteString(" " + prefix + ".lifecycle." + hook + "." + f)
			}
		}
	}
	return b.String()
}

// handlerFields are those of a probe's or hook's action.
const handlerFields = `exec.command httpGet.path httpGet.port httpGet.host httpGet.scheme
httpGet.httpHeaders[].name httpGet.httpHeaders[].value tcpSocket.port tcpSocket.host`

var configMapFields = fieldSet(`apiVersion kind metadata.name metadata.namespace metadata.labels.* metadata.annotations.* data.* binaryData.* immutable`)

var secretFields = fieldSet(`apiVersion kind metadata.name metadata.namespace metadata.labels.* metadata.annotations.* data.* stringData.* type immutable`)

func fieldSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

// Unsupported lists the fields set in raw (a document, as JSON) that are
// not in allowed, by their full path (spec.containers[1].livenessProbe.grpc),
// sorted. A field podctl knows whose value it cannot honour is refused
// later, by validate.go.
func Unsupported(raw []byte, kind string) ([]string, error) {
	allowed := podFields
	switch kind {
	case "ConfigMap":
		allowed = configMapFields
	case "Secret":
		allowed = secretFields
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	// A leaf, or a subtree with no allowed descendant, that is set is
	// reported.
	var out []string
	eachField(doc, func(v any, path, pattern, parent string, member bool) bool {
		switch {
		case isZero(v):
		case parent != "" && allowed[parent+".*"]: // any key of parent
		case pattern != "" && allowed[pattern]: // allowed as a whole: a leaf, a list of strings, a quantity
		case member && !hasPrefix(allowed, pattern):
			out = append(out, path)
		default:
			switch v.(type) {
			case map[string]any, []any:
				return true
			}
			out = append(out, path)
		}
		return false
	})
	sort.Strings(out)
	return out, nil
}

// eachField visits a decoded JSON document, in key order: fn gets each
// value with its path (as written, with indexes), its pattern (as in
// support.go's sets: [] for any index), its parent's pattern, and whether
// it is a member of a mapping (not an element of a list); fn says whether
// to go below it.
func eachField(doc any, fn func(v any, path, pattern, parent string, member bool) bool) {
	visit(doc, "", "", "", false, fn)
}

func visit(v any, path, pattern, parent string, member bool, fn func(v any, path, pattern, parent string, member bool) bool) {
	if !fn(v, path, pattern, parent, member) {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			visit(v[k], join(path, k), join(pattern, k), pattern, true, fn)
		}
	case []any:
		for i, child := range v {
			visit(child, fmt.Sprintf("%s[%d]", path, i), pattern+"[]", pattern, false, fn)
		}
	}
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// hasPrefix: pattern is allowed, or some allowed field is below it.
func hasPrefix(allowed map[string]bool, pattern string) bool {
	if allowed[pattern] {
		return true
	}
	for f := range allowed {
		if strings.HasPrefix(f, pattern+".") || strings.HasPrefix(f, pattern+"[]") {
			return true
		}
	}
	return false
}

// isZero: JSON null, false, 0, "", [] or {}: a field left at its default.
func isZero(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}
