package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one document of a manifest: exactly one of its pointers is
// set. Raw is the document as JSON, as written (for the support check).
type Object struct {
	Pod       *corev1.Pod
	ConfigMap *corev1.ConfigMap
	Secret    *corev1.Secret
	Raw       []byte
	Doc       int // 1-based position in the file
}

// Kind and Name say which object it is, for messages.
func (o Object) Kind() string {
	switch {
	case o.Pod != nil:
		return "Pod"
	case o.ConfigMap != nil:
		return "ConfigMap"
	}
	return "Secret"
}

func (o Object) Name() string {
	switch {
	case o.Pod != nil:
		return o.Pod.Name
	case o.ConfigMap != nil:
		return o.ConfigMap.Name
	}
	return o.Secret.Name
}

// DecodeError is a problem with one document of a file.
type DecodeError struct {
	File string
	Doc  int
	What string // "Pod web", or "" before the kind is known
	Errs []error
}

func (e *DecodeError) Error() string {
	where := fmt.Sprintf("%s: document %d", e.File, e.Doc)
	if e.What != "" {
		where += " (" + e.What + ")"
	}
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return where + ": " + strings.Join(msgs, "; ")
}

// maxManifest bounds what podctl reads from a file or stdin.
const maxManifest = 8 << 20

// Decode reads every document of a manifest (YAML or JSON, documents
// separated by "---"), strictly: unknown and duplicate fields are errors
// naming their path (spec.containers[0].imagee), as kubectl's are. file
// names the input in messages. Empty documents are skipped; a file with no
// object is an error.
func Decode(r io.Reader, file string) ([]Object, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(data) > maxManifest {
		return nil, fmt.Errorf("%s: larger than %d MiB", file, maxManifest>>20)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []Object
	for doc := 1; ; doc++ {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &DecodeError{File: file, Doc: doc, Errs: []error{err}}
		}
		obj, err := decodeDoc(chunk, file, doc)
		if err != nil {
			return nil, err
		}
		if obj != nil {
			objs = append(objs, *obj)
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no object in it (podctl takes Pod, ConfigMap and Secret)", file)
	}
	return objs, nil
}

func decodeDoc(chunk []byte, file string, doc int) (*Object, error) {
	fail := func(what string, errs ...error) error {
		return &DecodeError{File: file, Doc: doc, What: what, Errs: errs}
	}
	// YAMLToJSONStrict refuses a key given twice in one mapping.
	js, err := yaml.YAMLToJSONStrict(chunk)
	if err != nil {
		// (yaml's messages span lines: one line per error here.)
		return nil, fail("", fmt.Errorf("not valid YAML: %s", strings.Join(strings.Fields(err.Error()), " ")))
	}
	if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
		return nil, nil // an empty document
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &meta); err != nil {
		return nil, fail("", fmt.Errorf("not an object: %w", err))
	}
	obj := &Object{Raw: js, Doc: doc}
	var target any
	switch meta.Kind {
	case "Pod":
		obj.Pod = &corev1.Pod{}
		target = obj.Pod
	case "ConfigMap":
		obj.ConfigMap = &corev1.ConfigMap{}
		target = obj.ConfigMap
	case "Secret":
		obj.Secret = &corev1.Secret{}
		target = obj.Secret
	case "":
		return nil, fail("", errors.New(`no "kind": podctl takes Pod, ConfigMap and Secret`))
	default:
		return nil, fail(meta.Kind, fmt.Errorf("kind %q is not supported: podctl runs Pod, ConfigMap and Secret on one machine (a Deployment's or Job's pod template can be written as a Pod)", meta.Kind))
	}
	if meta.APIVersion != "v1" {
		return nil, fail(meta.Kind, fmt.Errorf(`apiVersion %q: a %s is "v1"`, meta.APIVersion, meta.Kind))
	}
	strict, err := sigsjson.UnmarshalStrict(js, target, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, fail(meta.Kind, quantityError(js, typeError(err)))
	}
	if len(strict) > 0 {
		return nil, fail(meta.Kind+" "+obj.Name(), strict...)
	}
	return obj, nil
}

// typeError rewords encoding/json's type errors with the field's path as
// Kubernetes writes it: "spec.containers.ports.containerPort: a number,
// not a string".
func typeError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "Go struct field "); i >= 0 {
		rest := msg[i+len("Go struct field "):]
		// "Pod.spec.containers.ports.containerPort of type int32"
		field, typ, _ := strings.Cut(rest, " of type ")
		if _, path, ok := strings.Cut(field, "."); ok {
			field = path
		}
		got := ""
		if j := strings.Index(msg, "cannot unmarshal "); j >= 0 {
			got, _, _ = strings.Cut(msg[j+len("cannot unmarshal "):], " into")
		}
		return fmt.Errorf("%s: expected %s, got %s", field, kindOf(typ), got)
	}
	return err
}

// quantityFields are the quantities of a Pod podctl reads, by pattern (as
// support.go's).
var quantityFields = []string{
	"spec.volumes[].emptyDir.sizeLimit",
	"spec.containers[].resources.limits.*", "spec.containers[].resources.requests.*",
	"spec.initContainers[].resources.limits.*", "spec.initContainers[].resources.requests.*",
}

// quantityError names the field of a quantity that does not parse:
// resource.Quantity's UnmarshalJSON says only what is wrong, and encoding/
// json adds no path to an unmarshaler's error. The first such value of the
// document js is the one.
func quantityError(js []byte, err error) error {
	if !errors.Is(err, resource.ErrFormatWrong) && !errors.Is(err, resource.ErrNumeric) && !errors.Is(err, resource.ErrSuffix) {
		return err
	}
	var doc any
	if json.Unmarshal(js, &doc) != nil {
		return err
	}
	var found error
	eachField(doc, func(v any, path, pattern, parent string, _ bool) bool {
		if found != nil {
			return false
		}
		if parent != "" && slices.Contains(quantityFields, parent+".*") {
			pattern = parent + ".*"
		}
		s, ok := v.(string)
		if !ok {
			return true
		}
		if slices.Contains(quantityFields, pattern) {
			if _, perr := resource.ParseQuantity(strings.TrimSpace(s)); perr != nil {
				found = fmt.Errorf("%s: %q: %w", path, s, perr)
			}
		}
		return false
	})
	if found == nil {
		return err
	}
	return found
}

func kindOf(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map"):
		return "a mapping"
	}
	return "an object (" + goType + ")"
}
