package cli

import (
	"fmt"
	"os"
	"strings"
)

// parse reads the flags at the front of args into c, as Go's flag package
// does, and returns the positional arguments after them: from the first
// argument that is not a flag ("-" alone is one), or after "--". help
// reports -h or --help (unless the command has a flag of that name), which
// ends parsing: what follows it is not looked at.
func (c *Context) parse(args []string, shortOptions, split bool) (rest []string, help bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[i+1:], false, nil
		}
		if len(a) < 2 || a[0] != '-' {
			return args[i:], false, nil
		}
		dashes := 1
		if a[1] == '-' {
			dashes = 2
		}
		name, value, hasValue := strings.Cut(a[dashes:], "=")
		spelled := a[:dashes] + name // the flag as the user wrote it
		if name == "" || name[0] == '-' {
			return nil, false, fmt.Errorf("bad flag syntax: %s", a)
		}
		f := c.own(name)
		if f == nil && (name == "help" || name == "h") {
			return nil, true, nil // as Go's flag package: help, whatever follows
		}
		if f == nil {
			if shortOptions && dashes == 1 && !hasValue {
				if split, ok := c.splitShort(name); ok {
					// Parse the single letters in place of the cluster.
					args = append(append(append([]string{}, args[:i]...), split...), args[i+1:]...)
					i--
					continue
				}
			}
			return nil, false, fmt.Errorf("flag provided but not defined: %s", spelled)
		}
		if !f.TakesValue() && !hasValue {
			value = "true"
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, false, fmt.Errorf("flag needs an argument: %s", spelled)
			}
			i++
			value = args[i]
		}
		v, err := f.parse(value, c.values[f], split)
		if err != nil {
			return nil, false, fmt.Errorf("invalid value %q for %s: %v", value, spelled, err)
		}
		c.values[f] = v
		c.set[f] = true
	}
	return nil, false, nil
}

// splitShort turns a cluster of one-letter flags ("it" of -it) into
// separate ones, when each letter is a flag and all but the last take no
// value (the last may: -ec CMD is -e -c CMD).
func (c *Context) splitShort(cluster string) ([]string, bool) {
	out := make([]string, 0, len(cluster))
	for i, r := range cluster {
		f := c.own(string(r))
		if f == nil || r > 0x7f || (f.TakesValue() && i < len(cluster)-1) {
			return nil, false
		}
		out = append(out, "-"+string(r))
	}
	return out, true
}

// fromEnv gives a flag that the command line left unset the value of the
// first of its environment variables that is set and not empty.
func (c *Context) fromEnv(split bool) error {
	for _, f := range c.flags {
		if c.set[f] {
			continue
		}
		for _, env := range f.EnvNames() {
			value := os.Getenv(env)
			if value == "" {
				continue
			}
			v, err := f.parse(value, c.values[f], split)
			if err != nil {
				return fmt.Errorf("invalid value %q of $%s for --%s: %v", value, env, f.Names()[0], err)
			}
			c.values[f] = v
			c.set[f] = true
			break
		}
	}
	return nil
}

// required fails when a required flag is not set.
func (c *Context) required() error {
	for _, f := range c.flags {
		if f.IsRequired() && !c.set[f] {
			return fmt.Errorf("required flag %s not set", dashed(f.Names()[0]))
		}
	}
	return nil
}

// dashed is a flag's name as typed: -f, --filename.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
