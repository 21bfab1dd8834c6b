package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Reader is one place the configuration may be found: the Action's
// workspace, a commit read through the GitHub API (source.Dir and
// source.GitHub are Readers). Read returns an error that satisfies
// errors.Is(err, fs.ErrNotExist) when the file is not there; String says
// where the reader reads, for messages.
type Reader interface {
	String() string
	Read(ctx context.Context, path string) ([]byte, error)
}

// Find reads the configuration at path (slash-separated, relative to the
// repository root; "" means DefaultPath) from the first reader that has the
// file, in order: the Action's workspace when it has a checkout, then the
// commit through the API. Every face looks the configuration up this way.
//
// named says that a person named the path (a flag or an input): then a file
// no reader has is an error. Otherwise a missing file means Default. Any
// other read error stops the search: a configuration that exists but cannot
// be read never falls back to the defaults.
func Find(ctx context.Context, path string, named bool, readers ...Reader) (*Config, error) {
	if path == "" {
		path = DefaultPath
	}
	var searched []string
	for _, r := range readers {
		data, err := r.Read(ctx, path)
		if errors.Is(err, fs.ErrNotExist) {
			searched = append(searched, r.String())
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the configuration %s: %w", path, err)
		}
		if len(data) > maxFileSize {
			return nil, &Error{File: path, Msg: fmt.Sprintf("the configuration is larger than %d bytes", maxFileSize)}
		}
		return Parse(path, data)
	}
	if !named {
		return Default(), nil
	}
	if len(searched) == 0 {
		return nil, fmt.Errorf("the configuration %s was named, but there is nowhere to read it from", path)
	}
	return nil, fmt.Errorf("the configuration %s does not exist in %s: check the path, relative to the repository root", path, strings.Join(searched, " nor in "))
}
