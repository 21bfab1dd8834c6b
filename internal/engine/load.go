package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// readWorkers bounds the reads in flight for one pair of units: a package
// of hundreds of files read through an API must not wait on each in turn.
const readWorkers = 8

// loaded is one side of a unit, read and parsed. A side without the unit,
// or whose file is of no known format, has a nil art.
type loaded struct {
	side     int // 0 base, 1 head
	unit     *unit
	format   formats.Format
	art      formats.Artifact
	identity string
	files    int
	// where is the artifact's first value: in its file, or in a package's
	// marker file.
	where change.Location
	// rels maps a file's name to its path in the unit, docs the path to the
	// document: base findings are anchored in the head by them.
	rels map[string]string
	docs map[string]*jsonpos.Doc
	// invalid is set, on the base side only, when the unit cannot be read:
	// the change may be the fix.
	invalid *change.InputError
}

// load reads and parses the units at one key of both sides (either may be
// nil); the two sides are parsed at once.
func (c *comparison) load(ctx context.Context, bu, hu *unit) (b, h *loaded, err error) {
	data, err := c.read(ctx, bu, hu)
	if err != nil {
		return nil, nil, err
	}
	same := unchanged(bu, hu, data)
	var berr error
	var wg sync.WaitGroup
	wg.Go(func() { b, berr = c.parse(0, bu, data[0], same) })
	h, err = c.parse(1, hu, data[1], same)
	wg.Wait()
	if err := errors.Join(berr, err); err != nil {
		return nil, nil, err
	}
	return b, h, nil
}

// read reads the files of both units, each distinct blob once.
func (c *comparison) read(ctx context.Context, bu, hu *unit) ([2][][]byte, error) {
	var data [2][][]byte
	type job struct {
		side, i int
	}
	var jobs []job
	var copies []job
	byBlob := map[string]job{}
	for side, u := range []*unit{bu, hu} {
		if u == nil {
			continue
		}
		data[side] = make([][]byte, len(u.files))
		for i, e := range u.files {
			j := job{side, i}
			if e.Blob != "" {
				if _, seen := byBlob[e.Blob]; seen {
					copies = append(copies, j)
					continue
				}
				byBlob[e.Blob] = j
			}
			jobs = append(jobs, j)
		}
	}
	units := [2]*unit{bu, hu}
	_, err := parallel(ctx, readWorkers, jobs, func(ctx context.Context, j job) (struct{}, error) {
		e := units[j.side].files[j.i]
		b, err := c.sides[j.side].tree.Read(ctx, e.Path)
		data[j.side][j.i] = b
		return struct{}{}, err
	})
	if err != nil {
		return data, err
	}
	for _, j := range copies {
		src := byBlob[units[j.side].files[j.i].Blob]
		data[j.side][j.i] = data[src.side][src.i]
	}
	return data, nil
}

// unchanged marks the head files whose bytes equal the base file at the same
// place in the unit: the base was accepted before, so only what the change
// touches is validated against vendor schemas.
func unchanged(bu, hu *unit, data [2][][]byte) []bool {
	if hu == nil {
		return nil
	}
	same := make([]bool, len(hu.files))
	if bu == nil {
		return same
	}
	base := map[string]int{}
	for i, e := range bu.files {
		base[bu.rel(e)] = i
	}
	for j, e := range hu.files {
		if i, ok := base[hu.rel(e)]; ok {
			b := bu.files[i]
			same[j] = b.Blob != "" && b.Blob == e.Blob || bytes.Equal(data[0][i], data[1][j])
		}
	}
	return same
}

// parse parses one side's unit. Input the head cannot be read from is an
// error; a base that cannot be read is marked invalid instead.
func (c *comparison) parse(side int, u *unit, data [][]byte, same []bool) (*loaded, error) {
	x := &loaded{side: side, unit: u}
	if u == nil {
		return x, nil
	}
	x.files = len(u.files)
	c.named(u.files...)
	x.rels = make(map[string]string, len(u.files))
	x.docs = make(map[string]*jsonpos.Doc, len(u.files))
	files := make([]formats.File, len(u.files))
	for i, e := range u.files {
		doc, err := formats.ParseJSON(e.Name, data[i])
		if err != nil {
			return c.unreadable(x, err)
		}
		rel := u.rel(e)
		files[i] = formats.File{Path: e.Path, Doc: doc, Unchanged: side == 1 && same[i]}
		if u.pkg != nil {
			files[i].Path = rel
			if rel == u.pkg.Marker() {
				x.where = formats.Locate(doc, "")
			}
		}
		x.rels[e.Name], x.docs[rel] = rel, doc
	}
	format, err := c.formatOf(u, files)
	if err != nil || format == nil {
		if err == nil {
			c.skip(len(files))
			return x, nil
		}
		return c.unreadable(x, err)
	}
	if u.pkg == nil {
		x.where = formats.Locate(files[0].Doc, "")
	}
	art, err := format.Parse(formats.Input{Files: files, Trusted: side == 0})
	if err != nil {
		return c.unreadable(x, err)
	}
	x.format, x.art, x.identity = format, art, art.Identity()
	c.found(side)
	return x, nil
}

// formatOf is a unit's format: its package's, the one the configuration
// forces, or the one its content shows. Nil (and no error) is a file of no
// known format that may be passed over.
func (c *comparison) formatOf(u *unit, files []formats.File) (formats.Format, error) {
	if u.pkg != nil {
		return u.pkg, nil
	}
	f, doc := u.files[0], files[0].Doc
	if forced := c.sel.forcedFormat(f.Path); forced != nil {
		if !forced.Detect(doc.Root) {
			return nil, &change.InputError{
				Rule: change.RuleUnknownFormat, Location: formats.Locate(doc, ""),
				Msg: fmt.Sprintf("the configuration says this file is format %s, but it is not %s", forced.Name(), forced.Noun()),
			}
		}
		return forced, nil
	}
	if format, ok := c.e.formats.Detect(doc.Root); ok {
		return format, nil
	}
	if !c.sel.explicit {
		return nil, nil
	}
	return nil, &change.InputError{
		Rule: change.RuleUnknownFormat, Location: formats.Locate(doc, ""),
		Msg: "unknown format: not " + c.e.formats.Nouns(),
	}
}

// unreadable decides what input that cannot be read means: on the base side
// the change may be its fix, so it is marked; on the head it is an error.
func (c *comparison) unreadable(x *loaded, err error) (*loaded, error) {
	var ie *change.InputError
	if x.side == 0 && errors.As(err, &ie) {
		x.invalid = ie
		c.found(0)
		return x, nil
	}
	return nil, err
}

// named records the paths of files by their names.
func (c *comparison) named(es ...Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paths == nil {
		c.paths = map[string]string{}
	}
	for _, e := range es {
		c.paths[e.Name] = e.Path
	}
}

func (c *comparison) found(side int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exports[side]++
}

func (c *comparison) skip(files int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compared.Skipped += files
}

// DeclaredVersion reads the version at pointer ("" = /version) in a
// package.json-like file: the version.file of the configuration. Nil, nil
// when the file has no value there.
func DeclaredVersion(name string, data []byte, pointer string) (*change.Declared, error) {
	if pointer == "" {
		pointer = "/version"
	}
	doc, err := formats.ParseJSON(name, data)
	if err != nil {
		return nil, err
	}
	v := doc.Root.Find(pointer)
	if v == nil {
		return nil, nil
	}
	s, ok := v.Str()
	if !ok {
		return nil, formats.WrongType(doc, v, pointer, jsonpos.String)
	}
	return &change.Declared{Version: s, Location: formats.LocateValue(doc, v, pointer)}, nil
}
