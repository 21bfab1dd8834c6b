package npmregistry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmpkg/npmpkgtest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// TestPublishDocumentIsNPMs has the real npm publish the same package to
// the fake registry and compares the two PUT documents field by field.
// Only what differs by nature is set aside: npm's own version stamps, its
// placeholder readme, and the tarball bytes (npm's gzip is zlib's, ours is
// Go's).
func TestPublishDocumentIsNPMs(t *testing.T) {
	m := npmpkg.Manifest{Name: "@acme/vnext.account", Version: "1.17.0", Description: "Account workflows",
		RuntimeName: "vNext.Account", Repository: "https://github.com/acme/exports", Registry: "https://npm.pkg.github.com"}
	doc, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	files := []npmpkg.File{{Path: "account/Workflows/open.json", Data: []byte(`{"key":"open"}`)}}

	theirs := newHarness(t)
	dir := t.TempDir()
	if err := npmpkgtest.WriteDir(dir, doc, files); err != nil {
		t.Fatal(err)
	}
	// The registry of the command line wins over publishConfig.registry.
	hostPath := strings.TrimPrefix(theirs.reg.URL(), "http:")
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(hostPath+":_authToken="+testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := testenv.NPMCommand(ctx, t, dir, "publish", "--registry", theirs.reg.URL(), "--ignore-scripts")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm publish: %v\n%s", err, out)
	}
	if len(theirs.reg.bodies) != 1 {
		t.Fatalf("npm publish sent %d PUTs", len(theirs.reg.bodies))
	}

	ours := newHarness(t)
	tb, err := npmpkg.Build(doc, files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ours.client.Publish(ctx, tb.Data, doc, PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	normalize := func(raw []byte, origin string) map[string]any {
		var d map[string]any
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		v := d["versions"].(map[string]any)[m.Version].(map[string]any)
		delete(v, "_nodeVersion") // npm's stamps of itself
		delete(v, "_npmVersion")
		delete(v, "readme") // npm's "ERROR: No README data found!" for a package without one
		dist := v["dist"].(map[string]any)
		dist["integrity"], dist["shasum"] = "<digest>", "<digest>"
		dist["tarball"] = strings.Replace(dist["tarball"].(string), origin, "<registry>", 1)
		for _, a := range d["_attachments"].(map[string]any) {
			a.(map[string]any)["data"], a.(map[string]any)["length"] = "<tarball>", "<length>"
		}
		return d
	}
	origin := func(h *harness) string { return strings.TrimSuffix(h.reg.URL(), "/") }
	want := normalize(theirs.reg.bodies[0], origin(theirs))
	got := normalize(ours.reg.bodies[0], origin(ours))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("publish document, npm (-) vs ours (+):\n%s", d)
	}
}
