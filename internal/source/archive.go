package source

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// archive holds the wanted files of a source archive, unpacked into a
// temporary directory as the archive streams past: neither the archive nor
// every file's bytes are ever in memory at once, and each file is read back
// when the comparison reaches it.
type archive struct {
	dir    string
	wanted map[string]bool
	// files maps a wanted path to its file in dir (named by a counter, so
	// no name from the archive becomes a file system path).
	files map[string]string
	// kept counts the files written: the next one's name. Not len(files),
	// which a path the archive holds twice leaves behind the names used.
	kept int
}

func newArchive(tempDir string, paths []string) (*archive, error) {
	dir, err := os.MkdirTemp(tempDir, "breakwater-archive-")
	if err != nil {
		return nil, fmt.Errorf("a temporary directory for a source archive: %w", err)
	}
	a := &archive{dir: dir, wanted: make(map[string]bool, len(paths)), files: map[string]string{}}
	for _, p := range paths {
		a.wanted[p] = true
	}
	return a, nil
}

// unpack reads a gzip-compressed tar stream in the form GitHub serves
// source archives: a pax global header whose comment names the commit,
// then every entry under one top-level directory (owner-repo-shortsha/).
// It keeps the wanted regular files; a link, or a file the archive leaves
// out (export-ignore), is read another way. It starts over when called
// again, as after a download that broke off.
func (a *archive) unpack(r io.Reader, commit string) error {
	if err := a.reset(); err != nil {
		return err
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("the archive is not gzip-compressed: %w", err)
	}
	tr := tar.NewReader(zr)
	top := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			if c := h.PAXRecords["comment"]; c != "" && len(commit) == 40 && c != commit {
				return fmt.Errorf("the archive is of commit %s, not %s", c, commit)
			}
			continue
		}
		first, rest, _ := strings.Cut(h.Name, "/")
		if top == "" {
			top = first
		}
		if first != top || first == "" {
			return fmt.Errorf("the archive holds %q outside its directory %q", h.Name, top)
		}
		if !h.FileInfo().Mode().IsRegular() || !a.wanted[rest] {
			continue
		}
		if err := a.keep(rest, tr); err != nil {
			return err
		}
	}
	// The gzip trailer's checksum covers every byte: read up to it.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return fmt.Errorf("reading the archive: %w", err)
	}
	return nil
}

// keep writes a wanted file to the directory.
func (a *archive) keep(p string, r io.Reader) error {
	name := filepath.Join(a.dir, strconv.Itoa(a.kept))
	a.kept++
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("unpacking %s: %w", p, err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unpacking %s: %w", p, err)
	}
	a.files[p] = name
	return nil
}

// reset forgets what an earlier attempt unpacked.
func (a *archive) reset() error {
	for _, name := range a.files {
		if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	a.files = map[string]string{}
	return nil
}

// read returns a kept file; ok is false when the archive did not hold it.
func (a *archive) read(p string) (data []byte, ok bool, err error) {
	name, ok := a.files[p]
	if !ok {
		return nil, false, nil
	}
	data, err = os.ReadFile(name)
	return data, true, err
}

func (a *archive) remove() error { return removeAll(a.dir) }
