package kube

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/podctl/podctl/sandbox/model"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A container's log rotation is the kubelet's own configuration
// (containerLogMaxSize, containerLogMaxFiles), not a field of the Pod; on
// one machine the manifest is the place for it, so podctl reads it from
// these annotations of the Pod, in the kubelet's units.
const (
	AnnotationLogMaxSize  = "podctl.io/container-log-max-size"
	AnnotationLogMaxFiles = "podctl.io/container-log-max-files"
	// annotationRootfs notes the rootfs directories of a pod that
	// generate kube wrote (generate.go); apply reads nothing from it.
	annotationRootfs = "podctl.io/rootfs"
)

// logAnnotations honours the log annotations, and refuses every other
// podctl.io/ annotation by its path: a misspelt one must not be ignored.
func (c *converter) logAnnotations() {
	s, f := &c.plan.Spec, c.f
	keys := make([]string, 0, len(c.pod.Annotations))
	for k := range c.pod.Annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, path := c.pod.Annotations[k], "metadata.annotations['"+k+"']"
		switch k {
		case AnnotationLogMaxSize:
			q, err := resource.ParseQuantity(v)
			if err != nil || q.Sign() <= 0 {
				f.add(path, "%q: give a positive size, as the kubelet's containerLogMaxSize (e.g. 10Mi)", v)
				continue
			}
			s.LogMaxSize = q.Value()
		case AnnotationLogMaxFiles:
			n, err := strconv.Atoi(v)
			if err != nil || n < 2 {
				f.add(path, "%q: give a number of files, at least 2 (the live file and one rotated), as the kubelet's containerLogMaxFiles", v)
				continue
			}
			s.LogMaxFiles = n
		case annotationRootfs:
		default:
			if strings.HasPrefix(k, "podctl.io/") {
				f.add(path, "podctl knows no such annotation (it knows %s and %s)", AnnotationLogMaxSize, AnnotationLogMaxFiles)
			}
		}
	}
}

// logAnnotationsOf are the annotations that give a pod its log rotation,
// for generate kube: none for the defaults.
func logAnnotationsOf(s *model.PodSpec) map[string]string {
	a := map[string]string{}
	if s.LogMaxSize > 0 && s.LogMaxSize != model.DefaultLogMaxSize {
		a[AnnotationLogMaxSize] = resource.NewQuantity(s.LogMaxSize, resource.BinarySI).String()
	}
	if s.LogMaxFiles > 0 && s.LogMaxFiles != model.DefaultLogMaxFiles {
		a[AnnotationLogMaxFiles] = fmt.Sprint(s.LogMaxFiles)
	}
	return a
}
