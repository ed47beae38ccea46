// Command webproxy is the two containers of podctl's classic pod example
// (examples/kube-proxy): a reverse proxy configured by a file, and the
// page server behind it. Static and tiny, so that its image is one file;
// Debian's busybox has no proxy (its httpd cannot forward).
//
//	webproxy proxy CONFIG   listen and forward as CONFIG says:
//	                          listen :80
//	                          upstream http://127.0.0.1:2368
//	webproxy serve ADDR TEXT  answer every request with TEXT
package main

import (
	"bufio"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: webproxy proxy CONFIG | webproxy serve ADDR TEXT")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "proxy":
		err = proxy(os.Args[2])
	case "serve":
		if len(os.Args) != 4 {
			err = fmt.Errorf("serve ADDR TEXT")
			break
		}
		text := os.Args[3] + "\n"
		log.Printf("serving on %s", os.Args[2])
		err = http.ListenAndServe(os.Args[2], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, text)
		}))
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	log.Fatal(err)
}

// proxy reads "listen ADDR" and "upstream URL" lines (# comments) and
// forwards every request; the upstream sees the client in
// X-Forwarded-For, as nginx's proxy_pass with the usual headers.
func proxy(config string) error {
	f, err := os.Open(config)
	if err != nil {
		return err
	}
	defer f.Close()
	var listen, upstream string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "listen":
			listen = strings.TrimSpace(v)
		case "upstream":
			upstream = strings.TrimSpace(v)
		default:
			return fmt.Errorf("%s: unknown directive %q", config, k)
		}
	}
	if listen == "" || upstream == "" {
		return fmt.Errorf("%s: needs listen and upstream", config)
	}
	u, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	log.Printf("proxy %s -> %s", listen, u)
	return http.ListenAndServe(listen, httputil.NewSingleHostReverseProxy(u))
}
