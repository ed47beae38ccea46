package model

import (
	"github.com/podctl/podctl/netsetup"
)

// NetworkState is the pod's network as it is: its address, and the helper
// process (pasta, slirp4netns) that connects it.
type NetworkState struct {
	netsetup.Status
	Ports  []netsetup.Port `json:"ports,omitempty"`
	Helper ProcRef         `json:"helper,omitempty"`
	// Restarts: how often the helper died and was started again;
	// Message: the last such event, or why the network is down.
	Restarts int    `json:"restarts,omitempty"`
	Message  string `json:"message,omitempty"`
	Down     bool   `json:"down,omitempty"`
}
