// Package kube reads Kubernetes manifests (Pod, ConfigMap and Secret,
// core/v1) into podctl pods, strictly: a field podctl does not know is an
// error with its path, as kubectl reports it, and a field it knows but
// cannot honour on one machine is refused by name (support.go), never
// parsed and silently ignored. The types are Kubernetes' own (k8s.io/api),
// so the same file runs on a cluster.
//
//	decode.go    multi-document YAML -> typed objects, strict
//	support.go   the fields podctl honours; any other one set is refused
//	validate.go  names, references, values
//	convert.go   a Pod -> podctl's PodSpec and ContainerSpecs
//	objects.go   ConfigMaps and Secrets kept for the pods that use them
//	generate.go  a running pod -> Pod YAML (podctl generate kube)
package kube
