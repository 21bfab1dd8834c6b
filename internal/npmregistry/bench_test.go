package npmregistry

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmpkg/npmpkgtest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// BenchmarkPackAndPublish packs and publishes the same directory to a
// loopback Verdaccio twice per iteration: with npmpkg.Build + Publish
// (reading the files, and reading the tarball back after publishing), and
// with `npm pack` + `npm publish` of the tarball. It reports both times and
// their ratio, ours/npm (target ≤ 0.5).
//
//	go test -run '^$' -bench PackAndPublish -benchtime 3x ./internal/npmregistry
func BenchmarkPackAndPublish(b *testing.B) {
	v := testenv.StartVerdaccio(b)
	for _, bc := range []struct {
		name  string
		files func() []npmpkg.File
	}{
		{"vnext-core", func() []npmpkg.File {
			_, files, err := npmpkgtest.ReadDir(filepath.Join("testdata", "vnext-core"))
			if err != nil {
				b.Fatal(err)
			}
			return files
		}},
		{"generated-20mb", func() []npmpkg.File { return npmpkgtest.GenerateFiles(20<<20, 1) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			files := bc.files()
			ctx := context.Background()
			client, err := New(v.URL, v.Token, Options{})
			if err != nil {
				b.Fatal(err)
			}
			// One directory per side, so that each publishes its own package.
			ourDir, npmDir := b.TempDir(), b.TempDir()
			for _, dir := range []string{ourDir, npmDir} {
				if err := npmpkgtest.WriteDir(dir, nil, files); err != nil {
					b.Fatal(err)
				}
			}
			hostPath := v.URL[len("http:"):]
			if err := os.WriteFile(filepath.Join(npmDir, ".npmrc"), []byte(hostPath+":_authToken="+v.Token+"\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			writeManifest := func(dir, name, version string) []byte {
				doc, err := npmpkg.Manifest{Name: name, Version: version, RuntimeName: name[len("@acme/"):],
					Repository: "https://github.com/acme/bench", Registry: v.URL}.JSON()
				if err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "package.json"), doc, 0o644); err != nil {
					b.Fatal(err)
				}
				return doc
			}
			npmOut := b.TempDir()

			var ourPack, ourPublish, npmPack, npmPublish time.Duration
			var size int
			n := 0
			for b.Loop() {
				version := fmt.Sprintf("1.0.%d", n)
				n++
				writeManifest(ourDir, "@acme/"+bc.name+"-go", version)
				writeManifest(npmDir, "@acme/"+bc.name+"-npm", version)

				start := time.Now()
				doc, fs, err := npmpkgtest.ReadDir(ourDir)
				if err != nil {
					b.Fatal(err)
				}
				tb, err := npmpkg.Build(doc, fs)
				if err != nil {
					b.Fatal(err)
				}
				packed := time.Now()
				if _, err := client.Publish(ctx, tb.Data, doc, PublishOptions{}); err != nil {
					b.Fatal(err)
				}
				ourPack += packed.Sub(start)
				ourPublish += time.Since(packed)
				size = len(tb.Data)

				start = time.Now()
				out, err := testenv.NPMCommand(ctx, b, npmDir, "pack", "--pack-destination", npmOut, "--ignore-scripts", "--json").Output()
				var listing []struct{ Filename string }
				if err != nil || json.Unmarshal(out, &listing) != nil || len(listing) != 1 {
					b.Fatalf("npm pack: %v\n%s", err, out)
				}
				tgz := filepath.Join(npmOut, listing[0].Filename)
				packedAt := time.Now()
				if out, err := testenv.NPMCommand(ctx, b, npmDir, "publish", tgz, "--registry", v.URL, "--ignore-scripts").CombinedOutput(); err != nil {
					b.Fatalf("npm publish: %v\n%s", err, out)
				}
				npmPack += packedAt.Sub(start)
				npmPublish += time.Since(packedAt)
			}
			per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(n) }
			b.ReportMetric(per(ourPack+ourPublish), "ours-ms/op")
			b.ReportMetric(per(npmPack+npmPublish), "npm-ms/op")
			b.ReportMetric(float64(ourPack+ourPublish)/float64(npmPack+npmPublish), "ours/npm")
			b.ReportMetric(per(ourPack), "ours-pack-ms/op")
			b.ReportMetric(per(npmPack), "npm-pack-ms/op")
			b.ReportMetric(float64(size)/1e6, "tarball-MB")
		})
	}
}
