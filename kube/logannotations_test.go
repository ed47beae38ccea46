package kube

import (
	"strings"
	"testing"
)

// annotatedPod is a pod with the annotations given (YAML flow mapping
// entries).
func annotatedPod(ann string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {" + ann + "}}\nspec:\n  containers: [{name: a, image: x}]\n"
}

// The log annotations set the pod's rotation; bad values and unknown
// podctl.io/ annotations are refused by their path; others are the user's.
func TestConvertLogAnnotations(t *testing.T) {
	plan, err := convertYAML(t, annotatedPod(`podctl.io/container-log-max-size: 64Ki, podctl.io/container-log-max-files: "3", example.com/x: "y"`))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Spec.LogMaxSize != 64<<10 || plan.Spec.LogMaxFiles != 3 {
		t.Errorf("LogMaxSize %d, LogMaxFiles %d", plan.Spec.LogMaxSize, plan.Spec.LogMaxFiles)
	}
	if ann := logAnnotationsOf(&plan.Spec); ann[AnnotationLogMaxSize] != "64Ki" || ann[AnnotationLogMaxFiles] != "3" {
		t.Errorf("generated back as %v", ann)
	}
	for ann, want := range map[string]string{
		`podctl.io/container-log-max-size: "-1"`: `metadata.annotations['podctl.io/container-log-max-size']: "-1": give a positive size`,
		`podctl.io/container-log-max-size: lots`: `metadata.annotations['podctl.io/container-log-max-size']: "lots"`,
		`podctl.io/container-log-max-files: "1"`: `metadata.annotations['podctl.io/container-log-max-files']: "1": give a number of files, at least 2`,
		`podctl.io/container-log-max-sise: 10Mi`: `metadata.annotations['podctl.io/container-log-max-sise']: podctl knows no such annotation`,
	} {
		if _, err := convertYAML(t, annotatedPod(ann)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ann, err, want)
		}
	}
}
