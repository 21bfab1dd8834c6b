package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxFileSize bounds what Load reads; a real configuration is a few KiB.
const maxFileSize = 1 << 20

// Load reads and parses the configuration at path. An empty path means
// DefaultPath. A missing file at the default location (DefaultPath, relative
// to any directory) gives Default with a nil error; a missing file the user
// named elsewhere is an error.
func Load(ctx context.Context, path string) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if path == "" {
		path = DefaultPath
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && isDefaultLocation(path) {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("the configuration is larger than %d bytes", maxFileSize)}
	}
	return Parse(path, data)
}

func isDefaultLocation(path string) bool {
	p := filepath.ToSlash(filepath.Clean(path))
	return p == DefaultPath || strings.HasSuffix(p, "/"+DefaultPath)
}
