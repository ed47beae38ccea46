package cri

import (
	"net"
	"net/http"
	"time"
)

// httpServer serves the streaming server's handler on its listener.
type httpServer struct {
	l   net.Listener
	h   http.Handler
	srv *http.Server
}

func (h *httpServer) serve() {
	h.srv = &http.Server{Handler: h.h, ReadHeaderTimeout: 30 * time.Second}
	h.srv.Serve(h.l)
}

// close ends the server and every stream it carries.
func (h *httpServer) close() {
	if h.srv != nil {
		h.srv.Close()
	}
	h.l.Close()
}
