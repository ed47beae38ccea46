// Command nonewprivs is critest's nonewprivs image stand-in: installed
// setuid root in the image, run as uid 1000, it prints its effective uid,
// which stays 1000 under no_new_privs (execve(2) ignores the setuid bit)
// and is 0 without it.
package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("Effective uid: %d\n", os.Geteuid()) }
