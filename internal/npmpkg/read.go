package npmpkg

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound what Read accepts, so a hostile tarball cannot exhaust
// memory. Zero fields take the defaults.
type Limits struct {
	MaxUnpackedSize int64 // bytes of all files, package.json included; default 1 GiB
	MaxFiles        int   // entries; default 100,000
}

func (l Limits) withDefaults() Limits {
	if l.MaxUnpackedSize <= 0 {
		l.MaxUnpackedSize = 1 << 30
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 100_000
	}
	return l
}

// Contents is what a package tarball holds.
type Contents struct {
	PackageJSON []byte   // the document, byte for byte
	Manifest    Manifest // parsed from PackageJSON, not validated
	Files       []File   // every other file, in archive order, paths relative to the package root
}

// Read opens a package tarball (gzip, tar entries under package/) and
// returns its package.json and files. It is strict: regular files only (no
// links or devices), clean relative paths, no duplicates, a package.json
// that is a JSON object, and an intact gzip stream (its checksum is read).
func Read(r io.Reader, lim Limits) (*Contents, error) {
	lim = lim.withDefaults()
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("package tarball is not gzip-compressed: %w", err)
	}
	// npm pack writes one gzip member; anything after it is refused below.
	zr.Multistream(false)
	tr := tar.NewReader(zr)

	var c Contents
	var unpacked int64
	seen := make(map[string]bool)
	havePackageJSON := false
	entries := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("package tarball: reading entry %d: %w", entries+1, err)
		}
		entries++
		if entries > lim.MaxFiles {
			return nil, fmt.Errorf("package tarball has more than %d entries", lim.MaxFiles)
		}
		name := hdr.Name
		switch hdr.Typeflag {
		case tar.TypeReg: // the reader turns the old TypeRegA into TypeReg
		case tar.TypeDir:
			// npm pack writes none, other tools do; a directory carries no content.
			if p := strings.TrimSuffix(name, "/"); p != "package" {
				if _, err := entryPath(p); err != nil {
					return nil, err
				}
			}
			continue
		case tar.TypeXGlobalHeader:
			continue // metadata for the archive (git archive writes one), no content
		default:
			return nil, fmt.Errorf("package tarball: entry %q is not a regular file (type %q); packages hold regular files only", name, hdr.Typeflag)
		}
		p, err := entryPath(name)
		if err != nil {
			return nil, err
		}
		if seen[p] {
			return nil, fmt.Errorf("package tarball: %s appears twice", p)
		}
		seen[p] = true
		if hdr.Size < 0 || hdr.Size > lim.MaxUnpackedSize-unpacked {
			return nil, fmt.Errorf("package tarball: unpacked size exceeds %d bytes at %s", lim.MaxUnpackedSize, p)
		}
		unpacked += hdr.Size
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, fmt.Errorf("package tarball: reading %s: %w", p, err)
		}
		if p == "package.json" {
			c.PackageJSON = data
			havePackageJSON = true
			continue
		}
		c.Files = append(c.Files, File{Path: p, Data: data})
	}
	// Reading to the end of the gzip member checks its CRC and length.
	// After the tar archive's end only zero padding may follow.
	rest, err := io.ReadAll(io.LimitReader(zr, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("package tarball: gzip stream: %w", err)
	}
	if len(rest) > 1<<20 || bytes.ContainsFunc(rest, func(r rune) bool { return r != 0 }) {
		return nil, errors.New("package tarball: data after the end of the tar archive")
	}
	if _, err := br.Peek(1); err != io.EOF {
		return nil, errors.New("package tarball: data after the end of the gzip stream")
	}
	if !havePackageJSON {
		return nil, errors.New("package tarball has no package/package.json")
	}
	paths := make([]string, 0, len(c.Files)+1)
	for _, f := range c.Files {
		paths = append(paths, f.Path)
	}
	if err := checkTree(append(paths, "package.json")); err != nil {
		return nil, fmt.Errorf("package tarball: %w", err)
	}
	m, err := ParseManifest(c.PackageJSON)
	if err != nil {
		return nil, fmt.Errorf("package tarball: %w", err)
	}
	c.Manifest = m
	return &c, nil
}

// ReadBytes is Read of a tarball held in memory.
func ReadBytes(tgz []byte, lim Limits) (*Contents, error) {
	return Read(bytes.NewReader(tgz), lim)
}

// entryPath is the path of a tar entry relative to package/.
func entryPath(name string) (string, error) {
	p, ok := strings.CutPrefix(name, root)
	if !ok {
		return "", fmt.Errorf("package tarball: entry %q is not under %s", name, root)
	}
	if err := checkPath(p); err != nil {
		return "", fmt.Errorf("package tarball: entry %q: %w", name, err)
	}
	return p, nil
}
