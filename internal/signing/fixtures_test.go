package signing

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/signing/sigstoretest"
)

var update = flag.Bool("update", false, "rewrite testdata/fixtures (bundles signed now, by a new local Sigstore)")

// The committed fixtures are bundles made by this package: they keep
// verifying as the code changes (a bundle attached to a release must
// verify for good), and they seed the fuzzers. Keyless ones verify long
// after their certificates expired, because verification uses the log's
// time, not the clock.
const fixtures = "testdata/fixtures"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("%v (run go test ./internal/signing -run Fixtures -update)", err)
	}
	return b
}

func TestFixturesVerify(t *testing.T) {
	if *update {
		writeFixtures(t)
	}
	tarball := fixture(t, "vnext.account-1.17.0.tgz")
	root, err := ParseTrustedRoot(fixture(t, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(tarball, fixture(t, "key.sigstore.json"), Policy{PublicKey: pubKey(t, "p256-pkcs8.pub.pem"), Package: &testPackage})
	if err != nil || v.KeyHint == "" {
		t.Errorf("key-based fixture: %+v, %v", v, err)
	}
	policy := Policy{
		Identity:    &Identity{SANRegexp: ReleaseWorkflowSANRegexp("", "acme-corp/integrations", ".github/workflows/release.yml")},
		TrustedRoot: root,
		Package:     &testPackage,
	}
	v, err = Verify(tarball, fixture(t, "keyless.sigstore.json"), policy)
	if err != nil || v.SAN == "" || len(v.SignedAt) != 2 {
		t.Errorf("keyless fixture: %+v, %v", v, err)
	}
	if _, err := Verify([]byte("other"), fixture(t, "keyless.sigstore.json"), policy); !errors.Is(err, ErrNotVerified) {
		t.Errorf("keyless fixture verified another tarball: %v", err)
	}
}

func writeFixtures(t *testing.T) {
	tarball := testTarball()
	inst := sigstoretest.New(t, sigstoretest.Options{})
	opts := keylessOptions(inst)
	opts.TrustedRoot = mustRoot(t, inst)
	keyless, err := SignKeyless(context.Background(), Request{Package: testPackage, Tarball: tarball, Provenance: ProvenanceFromEnv(actionsEnv(inst))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	key := signWithTestKey(t, "p256-pkcs8.pem", Request{Package: testPackage, Tarball: tarball})
	for name, data := range map[string][]byte{
		"vnext.account-1.17.0.tgz": tarball,
		"trusted_root.json":        inst.TrustedRootJSON(),
		"keyless.sigstore.json":    keyless.Bundle,
		"key.sigstore.json":        key.Bundle,
	} {
		if err := os.MkdirAll(fixtures, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(fixtures, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
