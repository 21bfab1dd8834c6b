package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// files is a Reader over a map, the way source.Dir and source.GitHub answer:
// a missing file is fs.ErrNotExist, a broken one another error.
type files struct {
	name  string
	files map[string]string
	fail  error
	reads *[]string
}

func (f files) String() string { return f.name }

func (f files) Read(_ context.Context, path string) ([]byte, error) {
	if f.reads != nil {
		*f.reads = append(*f.reads, f.name+":"+path)
	}
	if f.fail != nil {
		return nil, f.fail
	}
	data, ok := f.files[path]
	if !ok {
		return nil, fmt.Errorf("reading %s in %s: %w", path, f.name, fs.ErrNotExist)
	}
	return []byte(data), nil
}

func TestFind(t *testing.T) {
	ctx := context.Background()
	var reads []string
	workspace := files{name: "/workspace", files: map[string]string{DefaultPath: "fail-on: never\n"}, reads: &reads}
	emptyWorkspace := files{name: "/workspace", files: map[string]string{}, reads: &reads}
	commit := files{name: "octo-org/integrations@1a2b3c4", files: map[string]string{DefaultPath: "fail-on: warning\n", "ci/bw.yml": "comment: false\n"}, reads: &reads}
	broken := files{name: "octo-org/integrations@1a2b3c4", fail: errors.New("GitHub answered 502")}
	huge := files{name: "/workspace", files: map[string]string{DefaultPath: "# " + strings.Repeat("x", maxFileSize) + "\n"}}

	cases := []struct {
		name    string
		path    string
		named   bool
		readers []Reader
		check   func(*Config) string
		want    string // what check says of the configuration found
		reads   []string
		wantErr string
	}{
		{name: "the workspace wins", readers: []Reader{workspace, commit},
			check: func(c *Config) string { return string(c.FailOn) }, want: "never", reads: []string{"/workspace:" + DefaultPath}},
		{name: "else the commit", readers: []Reader{emptyWorkspace, commit},
			check: func(c *Config) string { return string(c.FailOn) }, want: "warning", reads: []string{"/workspace:" + DefaultPath, "octo-org/integrations@1a2b3c4:" + DefaultPath}},
		{name: "a named path", path: "ci/bw.yml", named: true, readers: []Reader{emptyWorkspace, commit},
			check: func(c *Config) string { return fmt.Sprintf("comment %t from %s", c.Comment, c.Path) }, want: "comment false from ci/bw.yml",
			reads: []string{"/workspace:ci/bw.yml", "octo-org/integrations@1a2b3c4:ci/bw.yml"}},
		{name: "missing default means the defaults", readers: []Reader{emptyWorkspace},
			check: func(c *Config) string { return fmt.Sprintf("%t", cmp.Equal(c, Default())) }, want: "true", reads: []string{"/workspace:" + DefaultPath}},
		{name: "no reader at all means the defaults", check: func(c *Config) string { return fmt.Sprintf("%t", cmp.Equal(c, Default())) }, want: "true"},
		{name: "a missing named file is an error naming every place", path: "ci/missing.yml", named: true, readers: []Reader{emptyWorkspace, commit},
			reads:   []string{"/workspace:ci/missing.yml", "octo-org/integrations@1a2b3c4:ci/missing.yml"},
			wantErr: "the configuration ci/missing.yml does not exist in /workspace nor in octo-org/integrations@1a2b3c4: check the path, relative to the repository root"},
		{name: "a named default path must exist too", path: DefaultPath, named: true, readers: []Reader{emptyWorkspace},
			reads: []string{"/workspace:" + DefaultPath}, wantErr: "does not exist in /workspace"},
		{name: "a read error never falls back to the defaults", readers: []Reader{emptyWorkspace, broken},
			reads: []string{"/workspace:" + DefaultPath}, wantErr: "reading the configuration .github/breakwater.yml: GitHub answered 502"},
		{name: "too large", readers: []Reader{huge}, wantErr: ".github/breakwater.yml: the configuration is larger than 1048576 bytes"},
		{name: "invalid", readers: []Reader{files{name: "w", files: map[string]string{DefaultPath: "fail-on: sometimes\n"}}},
			wantErr: `.github/breakwater.yml:1:10: fail-on must be one of breaking, warning, never, not "sometimes"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reads = nil
			c, err := Find(ctx, tc.path, tc.named, tc.readers...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Find = %v, want an error containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got := tc.check(c); got != tc.want {
				t.Errorf("Find gave %s, want %s", got, tc.want)
			}
			if tc.reads != nil {
				if diff := cmp.Diff(tc.reads, reads); diff != "" {
					t.Errorf("reads (-want +got):\n%s", diff)
				}
			}
		})
	}
}
