package cri

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A CRI sandbox's and container's metadata (name, namespace, uid,
// attempt) are kept as labels of the podctl pod and container under these
// reserved keys, and taken out of the labels the CRI caller sees again.
// The Kubernetes namespace is also under the kubelet's own key
// (model.LabelNamespace), which podctl ps shows.
const (
	labelPrefix    = "podctl.io/cri."
	labelName      = labelPrefix + "name"
	labelNamespace = labelPrefix + "namespace"
	labelUID       = labelPrefix + "uid"
	labelAttempt   = labelPrefix + "attempt"
)

// podName is the podctl name of a sandbox: its CRI name made a DNS label,
// and a hash of the whole metadata, so that the kubelet's next attempt
// (or the same name in another namespace) is another pod, and a second
// RunPodSandbox of the same metadata finds the name taken (as containerd
// reserves it).
func podName(m *runtimeapi.PodSandboxMetadata) string {
	h := sha256.Sum256([]byte(m.Namespace + "\x00" + m.Name + "\x00" + m.Uid + "\x00" + strconv.FormatUint(uint64(m.Attempt), 10)))
	return dnsLabel(m.Name, 54) + "-" + hex.EncodeToString(h[:4])
}

// containerName is the podctl name of a container in its pod: its CRI
// name made a DNS label, and its attempt (the kubelet makes attempt N+1
// while attempt N is still there, exited).
func containerName(m *runtimeapi.ContainerMetadata) string {
	a := strconv.FormatUint(uint64(m.Attempt), 10)
	return dnsLabel(m.Name, 62-len(a)) + "-" + a
}

// dnsLabel makes s a DNS label prefix of at most max characters:
// lowercase letters, digits and '-', starting with a letter or digit.
func dnsLabel(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= max {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0:
			b.WriteByte('-') // '.', '_' and the rest
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		out = "x"
	}
	return out
}

// podLabels are the labels a podctl pod keeps for a sandbox: the
// caller's, and its metadata under the reserved keys.
func podLabels(m *runtimeapi.PodSandboxMetadata, labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		out[k] = v
	}
	out[labelName], out[labelNamespace], out[labelUID] = m.Name, m.Namespace, m.Uid
	out[labelAttempt] = strconv.FormatUint(uint64(m.Attempt), 10)
	return out
}

// ctrLabels are the labels a podctl container keeps for a CRI container.
func ctrLabels(m *runtimeapi.ContainerMetadata, labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		out[k] = v
	}
	out[labelName] = m.Name
	out[labelAttempt] = strconv.FormatUint(uint64(m.Attempt), 10)
	return out
}

// userLabels are labels without the reserved keys: what the caller gave.
func userLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if !strings.HasPrefix(k, labelPrefix) {
			out[k] = v
		}
	}
	return out
}

// attempt reads the reserved attempt label.
func attempt(labels map[string]string) uint32 {
	n, _ := strconv.ParseUint(labels[labelAttempt], 10, 32)
	return uint32(n)
}

// isCRI says a pod was made through the CRI (it has the reserved labels):
// the server lists only those, as containerd lists only its namespace's.
func isCRI(labels map[string]string) bool {
	_, ok := labels[labelName]
	return ok
}

// podMeta is a pod's CRI metadata back from its labels.
func podMeta(labels map[string]string) *runtimeapi.PodSandboxMetadata {
	return &runtimeapi.PodSandboxMetadata{Name: labels[labelName], Namespace: labels[labelNamespace],
		Uid: labels[labelUID], Attempt: attempt(labels)}
}

// ctrMeta is a container's CRI metadata back from its labels.
func ctrMeta(labels map[string]string) *runtimeapi.ContainerMetadata {
	return &runtimeapi.ContainerMetadata{Name: labels[labelName], Attempt: attempt(labels)}
}
