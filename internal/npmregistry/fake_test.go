package npmregistry

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeRegistry is a strict npm registry for fault tests: it serves
// packuments and tarballs, takes publishes, checks every request's shape
// and fails the test on anything else. Scripted faults answer requests
// before the registry itself does.
type fakeRegistry struct {
	t     *testing.T
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	packages map[string]*fakePackage // by name
	faults   map[string][]fault      // by "METHOD kind": "GET packument", "PUT packument", "GET tarball"
	requests []string                // "METHOD kind", in order
	bodies   [][]byte                // PUT bodies, in order
	// serveTarball, when set, replaces the stored tarball in downloads.
	serveTarball []byte
	// tarballHost, when set, is the origin written into dist.tarball.
	tarballHost string
}

type fakePackage struct {
	versions map[string]fakeVersion
}

type fakeVersion struct {
	integrity, shasum string
	tarball           []byte
}

// fault is a scripted answer; cut drops the connection instead, after
// storing the request's publish when store is set.
type fault struct {
	status int
	header map[string]string
	body   string
	cut    bool
	store  bool
}

func newFakeRegistry(t *testing.T, token string) *fakeRegistry {
	f := &fakeRegistry{t: t, token: token, packages: map[string]*fakePackage{}, faults: map[string][]fault{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) URL() string { return f.srv.URL + "/" }

// inject queues faults for "METHOD kind".
func (f *fakeRegistry) inject(key string, fs ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[key] = append(f.faults[key], fs...)
}

// store publishes a version directly, as another run would have.
func (f *fakeRegistry) store(name, version string, tarball []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.storeLocked(name, version, tarball)
}

func (f *fakeRegistry) storeLocked(name, version string, tarball []byte) {
	p := f.packages[name]
	if p == nil {
		p = &fakePackage{versions: map[string]fakeVersion{}}
		f.packages[name] = p
	}
	sum := sha512.Sum512(tarball)
	p.versions[version] = fakeVersion{
		integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
		shasum:    sha1Hex(tarball),
		tarball:   tarball,
	}
}

func (f *fakeRegistry) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == key {
			n++
		}
	}
	return n
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	t := f.t
	// Route: /@scope%2fname (packument) or /@scope/name/-/name-v.tgz (tarball).
	var kind, name string
	switch {
	case strings.Contains(r.URL.Path, "/-/"):
		kind = "tarball"
		name = strings.TrimPrefix(r.URL.Path[:strings.Index(r.URL.Path, "/-/")], "/")
	case strings.HasPrefix(r.RequestURI, "/@") && strings.Count(r.RequestURI, "/") == 1 && strings.Contains(r.RequestURI, "%2f"):
		kind = "packument"
		name = strings.TrimPrefix(r.URL.Path, "/")
	default:
		t.Errorf("fake registry: unexpected request %s %s", r.Method, r.RequestURI)
		http.Error(w, `{"error":"no such route"}`, http.StatusNotFound)
		return
	}
	key := r.Method + " " + kind
	if key != "GET packument" && key != "PUT packument" && key != "GET tarball" {
		t.Errorf("fake registry: unexpected method %s for the %s of %s", r.Method, kind, name)
		http.Error(w, `{"error":"method not allowed"}`, http.StatusMethodNotAllowed)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.token {
		t.Errorf("fake registry: %s: Authorization %q, want the bearer token", key, got)
	}
	if r.Header.Get("Accept") == "" || r.Header.Get("User-Agent") == "" {
		t.Errorf("fake registry: %s without Accept or User-Agent", key)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("fake registry: reading the body: %v", err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, key)
	if r.Method == http.MethodPut {
		f.bodies = append(f.bodies, body)
	}
	if q := f.faults[key]; len(q) > 0 {
		ft := q[0]
		f.faults[key] = q[1:]
		if ft.store {
			f.acceptPublish(name, body)
		}
		if ft.cut {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("fake registry: hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		for k, v := range ft.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ft.status)
		io.WriteString(w, ft.body) //nolint:errcheck
		return
	}

	switch key {
	case "GET packument":
		p := f.packages[name]
		if p == nil {
			http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
			return
		}
		versions := map[string]any{}
		for v, pv := range p.versions {
			host := f.srv.URL
			if f.tarballHost != "" {
				host = f.tarballHost
			}
			versions[v] = map[string]any{"name": name, "version": v, "dist": map[string]string{
				"integrity": pv.integrity, "shasum": pv.shasum,
				"tarball": fmt.Sprintf("%s/%s/-/%s-%s.tgz", host, name, name[strings.Index(name, "/")+1:], v),
			}}
		}
		json.NewEncoder(w).Encode(map[string]any{"_id": name, "name": name, "versions": versions}) //nolint:errcheck
	case "PUT packument":
		if p := f.packages[name]; p != nil {
			if _, ok := p.versions[f.putVersion(body)]; ok {
				w.WriteHeader(http.StatusConflict)
				io.WriteString(w, `{"error":"this package is already present"}`) //nolint:errcheck
				return
			}
		}
		if f.acceptPublish(name, body) {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"ok":"created new package"}`) //nolint:errcheck
		} else {
			http.Error(w, `{"error":"bad publish document"}`, http.StatusBadRequest)
		}
	case "GET tarball":
		p := f.packages[name]
		for _, pv := range versionsOf(p) {
			if strings.HasSuffix(r.URL.Path, "-"+pv.version+".tgz") {
				if f.serveTarball != nil {
					w.Write(f.serveTarball) //nolint:errcheck
					return
				}
				w.Write(pv.tarball) //nolint:errcheck
				return
			}
		}
		http.Error(w, `{"error":"no such tarball"}`, http.StatusNotFound)
	}
}

type namedVersion struct {
	version string
	fakeVersion
}

func versionsOf(p *fakePackage) []namedVersion {
	if p == nil {
		return nil
	}
	var out []namedVersion
	for v, pv := range p.versions {
		out = append(out, namedVersion{v, pv})
	}
	return out
}

func (f *fakeRegistry) putVersion(body []byte) string {
	var doc struct {
		Versions map[string]json.RawMessage `json:"versions"`
	}
	json.Unmarshal(body, &doc) //nolint:errcheck // checked in acceptPublish
	for v := range doc.Versions {
		return v
	}
	return ""
}

// acceptPublish checks a publish document as a registry would and stores
// its tarball. It reports problems through the test.
func (f *fakeRegistry) acceptPublish(name string, body []byte) bool {
	t := f.t
	var doc struct {
		ID          string                     `json:"_id"`
		Name        string                     `json:"name"`
		DistTags    map[string]string          `json:"dist-tags"`
		Versions    map[string]json.RawMessage `json:"versions"`
		Access      *string                    `json:"access"`
		Attachments map[string]struct {
			ContentType string `json:"content_type"`
			Data        string `json:"data"`
			Length      int    `json:"length"`
		} `json:"_attachments"`
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || json.Unmarshal(body, &keys) != nil {
		t.Errorf("fake registry: publish body is not JSON: %v", err)
		return false
	}
	allowed := []string{"_id", "name", "description", "dist-tags", "versions", "access", "_attachments"}
	for k := range keys {
		if !slices.Contains(allowed, k) {
			t.Errorf("fake registry: publish body has unexpected field %q", k)
		}
	}
	ok := doc.ID == name && doc.Name == name && len(doc.Versions) == 1 && len(doc.Attachments) == 1 && len(doc.DistTags) == 1
	if !ok {
		t.Errorf("fake registry: publish body for %s: _id %q, name %q, %d versions, %d attachments, dist-tags %v",
			name, doc.ID, doc.Name, len(doc.Versions), len(doc.Attachments), doc.DistTags)
		return false
	}
	var version string
	var manifest struct {
		ID      string `json:"_id"`
		Name    string `json:"name"`
		Version string `json:"version"`
		Dist    struct {
			Integrity, Shasum, Tarball string
		} `json:"dist"`
	}
	for v, raw := range doc.Versions {
		version = v
		if err := json.Unmarshal(raw, &manifest); err != nil {
			t.Errorf("fake registry: version manifest: %v", err)
			return false
		}
	}
	for _, v := range doc.DistTags {
		if v != version {
			t.Errorf("fake registry: dist-tag points at %s, the document publishes %s", v, version)
		}
	}
	att, found := doc.Attachments[name+"-"+version+".tgz"]
	if !found {
		t.Errorf("fake registry: no attachment %s-%s.tgz", name, version)
		return false
	}
	tarball, err := base64.StdEncoding.DecodeString(att.Data)
	if err != nil {
		t.Errorf("fake registry: attachment data is not base64: %v", err)
		return false
	}
	sum := sha512.Sum512(tarball)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	switch {
	case att.ContentType != "application/octet-stream":
		t.Errorf("fake registry: attachment content_type %q", att.ContentType)
	case att.Length != len(tarball):
		t.Errorf("fake registry: attachment length %d, data has %d bytes", att.Length, len(tarball))
	case manifest.ID != name+"@"+version || manifest.Name != name || manifest.Version != version:
		t.Errorf("fake registry: version manifest _id %q name %q version %q", manifest.ID, manifest.Name, manifest.Version)
	case manifest.Dist.Integrity != integrity || manifest.Dist.Shasum != sha1Hex(tarball):
		t.Errorf("fake registry: dist %+v does not match the attachment (%s)", manifest.Dist, integrity)
	case !strings.HasSuffix(manifest.Dist.Tarball, "/"+name+"/-/"+name+"-"+version+".tgz"):
		t.Errorf("fake registry: dist.tarball %q", manifest.Dist.Tarball)
	default:
		f.storeLocked(name, version, bytes.Clone(tarball))
		return true
	}
	return false
}
