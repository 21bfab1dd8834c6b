package npmpkg

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxNameLength is npm's limit on a package name, scope included.
const MaxNameLength = 214

// nodeBuiltins are the names npm refuses for new unscoped packages
// (validate-npm-package-name 7.0.2, the one npm 11 ships).
var nodeBuiltins = []string{
	"_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing", "_http_server",
	"_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_wrap",
	"_stream_writable", "_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks", "buffer",
	"child_process", "cluster", "console", "constants", "crypto", "dgram", "diagnostics_channel", "dns",
	"dns/promises", "domain", "events", "fs", "fs/promises", "http", "http2", "https", "inspector",
	"inspector/promises", "module", "net", "os", "path", "path/posix", "path/win32", "perf_hooks",
	"process", "punycode", "querystring", "readline", "readline/promises", "repl", "stream",
	"stream/consumers", "stream/promises", "stream/web", "string_decoder", "sys", "timers",
	"timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm", "wasi",
	"worker_threads", "zlib", "node:sea", "node:sqlite", "node:test", "node:test/reporters",
}

// ValidateName checks name against npm's rules for new packages (those of
// validate-npm-package-name: both its errors and the warnings that make a
// name invalid for new packages). The error says which rule failed.
func ValidateName(name string) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if name == "" {
		return errors.New("npm package name is empty")
	}
	if strings.HasPrefix(name, ".") {
		add("cannot start with a period")
	}
	if strings.HasPrefix(name, "-") {
		add("cannot start with a hyphen")
	}
	if strings.HasPrefix(name, "_") {
		add("cannot start with an underscore")
	}
	if strings.TrimSpace(name) != name {
		add("cannot have leading or trailing spaces")
	}
	if l := strings.ToLower(name); l == "node_modules" || l == "favicon.ico" {
		add("%s is reserved", l)
	}
	if slices.Contains(nodeBuiltins, strings.ToLower(name)) {
		add("is the name of a Node.js core module")
	}
	if len(name) > MaxNameLength {
		add("is %d characters long, more than npm's %d", len(name), MaxNameLength)
	}
	if strings.ToLower(name) != name {
		add("cannot contain capital letters")
	}
	last := name[strings.LastIndex(name, "/")+1:]
	if i := strings.IndexAny(last, "~'!()*"); i >= 0 {
		add("cannot contain the special character %q", last[i])
	}
	if !urlSafe(name) {
		scope, pkg, scoped := splitScoped(name)
		switch {
		case scoped && strings.HasPrefix(pkg, "."):
			add("cannot start with a period after the scope")
		case scoped && urlSafe(scope) && urlSafe(pkg):
		default:
			add("can only contain URL-safe characters (a-z, 0-9, and - . _ ~ ' ! ( ) *, plus one / after an @scope)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("npm package name %q %s", name, strings.Join(problems, "; "))
	}
	return nil
}

// ValidateScopedName is ValidateName plus the rule of GitHub Packages: the
// name must be scoped (@owner/package).
func ValidateScopedName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if _, _, ok := splitScoped(name); !ok {
		return fmt.Errorf("npm package name %q has no @owner/ scope, which GitHub Packages requires", name)
	}
	return nil
}

// Name is the npm name of a runtime package published by owner:
// "@<owner>/<runtimeName>", both lower-cased ("Acme", "vNext.Account" →
// "@acme/vnext.account"). Characters npm refuses are an error, not
// rewritten: a silently changed name would no longer say which runtime
// package it holds.
func Name(owner, runtimeName string) (string, error) {
	if owner == "" {
		return "", errors.New("npm package name: the owner (scope) is empty")
	}
	if runtimeName == "" {
		return "", errors.New("npm package name: the runtime package name is empty")
	}
	name := "@" + strings.ToLower(owner) + "/" + strings.ToLower(runtimeName)
	if err := ValidateScopedName(name); err != nil {
		return "", fmt.Errorf("runtime package %q of owner %q: %w", runtimeName, owner, err)
	}
	return name, nil
}

// Names maps each runtime package name of owner to its npm name. Two runtime
// names that become the same npm name once lower-cased ("vNext.Account" and
// "vnext.account") are an error: one npm package cannot hold both.
func Names(owner string, runtimeNames []string) (map[string]string, error) {
	out := make(map[string]string, len(runtimeNames))
	byNPM := make(map[string]string, len(runtimeNames))
	for _, rn := range runtimeNames {
		name, err := Name(owner, rn)
		if err != nil {
			return nil, err
		}
		if prev, ok := byNPM[name]; ok && prev != rn {
			return nil, fmt.Errorf("runtime packages %q and %q both become the npm package %q once lower-cased; rename one of them", prev, rn, name)
		}
		byNPM[name] = rn
		out[rn] = name
	}
	return out, nil
}

// splitScoped splits "@scope/pkg" as npm's scoped-name pattern
// ^(?:@([^/]+?)[/])?([^/]+?)$ does; ok is false for unscoped names.
func splitScoped(name string) (scope, pkg string, ok bool) {
	rest, found := strings.CutPrefix(name, "@")
	if !found {
		return "", "", false
	}
	scope, pkg, found = strings.Cut(rest, "/")
	if !found || scope == "" || pkg == "" || strings.Contains(pkg, "/") {
		return "", "", false
	}
	return scope, pkg, true
}

// urlSafe reports whether JavaScript's encodeURIComponent leaves s unchanged.
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.!~*'()", c) >= 0:
		default:
			return false
		}
	}
	return true
}
