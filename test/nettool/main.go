// Command nettool is the end-to-end tests' network workload, built static
// into the test rootfs: busybox's nc has no UDP and cannot tell a server
// who connected, which is what the tests of published ports check.
//
//	nettool serve tcp|udp ADDR   answer each connection (datagram) with
//	                             "peer=IP:PORT got=LINE"
//	nettool dial tcp|udp ADDR [MSG]  send MSG (default "ping"), print the answer
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: nettool serve|dial tcp|udp ADDR [MSG]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2], os.Args[3])
	case "dial":
		msg := "ping"
		if len(os.Args) > 4 {
			msg = os.Args[4]
		}
		err = dial(os.Args[2], os.Args[3], msg)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nettool:", err)
		os.Exit(1)
	}
}

func serve(proto, addr string) error {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		fmt.Println("listening", c.LocalAddr())
		buf := make([]byte, 2048)
		for {
			n, peer, err := c.ReadFrom(buf)
			if err != nil {
				return err
			}
			line := strings.TrimSpace(string(buf[:n]))
			if _, err := c.WriteTo([]byte(fmt.Sprintf("peer=%s got=%s\n", peer, line)), peer); err != nil {
				fmt.Println("answering", peer, err)
			}
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("listening", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "peer=%s got=%s\n", c.RemoteAddr(), strings.TrimSpace(line))
		}()
	}
}

func dial(proto, addr, msg string) error {
	c, err := net.DialTimeout(proto, addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintln(c, msg); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no answer from %s: %w", addr, err)
	}
	fmt.Print(line)
	return nil
}
