// Command fwd forwards TCP connections from a listening address to a
// target: critest's harness runs it inside the user's shared network
// namespace, on 127.0.0.1:PORT, towards the shared network's gateway at
// the same port, which that network's pasta maps to the host's loopback.
// That is how critest, run inside the shared network, reaches the CRI
// server's streaming server on the host's 127.0.0.1.
package main

import (
	"io"
	"log"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: fwd LISTEN-ADDR TARGET-ADDR")
	}
	l, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			t, err := net.Dial("tcp", os.Args[2])
			if err != nil {
				log.Print(err)
				return
			}
			defer t.Close()
			go io.Copy(t, c)
			io.Copy(c, t)
		}()
	}
}
