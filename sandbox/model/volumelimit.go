package model

// SizeLimit is a size in bytes, with its spelling as Kubernetes prints it
// (resource.Quantity's String, "1Mi"), which the eviction message quotes.
type SizeLimit struct {
	Bytes    int64  `json:"bytes"`
	Quantity string `json:"quantity"`
}

// VolumeLimit is the sizeLimit of one of the pod's emptyDirs.
type VolumeLimit struct {
	Volume string `json:"volume"`
	SizeLimit
}
