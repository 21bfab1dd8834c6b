package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/tray"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// BenchmarkTrayCoverage50MB measures what accounting for every change
// costs a comparison (issue 11): the structural diff of the 50 MB Tray pair
// and the check of its changes against the differ's findings, on documents
// already parsed (the engine has them). In the same run it times the decode
// baseline and the engine's whole Run, which includes the check, and
// reports the check as a share of the Run (coverage-of-compare, target
// ≤ 0.10) and the Run's ratio to the baseline.
// Run: go test -run '^$' -bench TrayCoverage -benchtime 3x ./internal/engine/
func BenchmarkTrayCoverage50MB(b *testing.B) {
	base, head := trayPair()
	benchCoverage(b, base, head)
}

// BenchmarkTrayCoverage50MBReindented is the worst case: the head is the
// same export written with another indentation, so no subtree can be
// recognised by its bytes and every value is compared as a tree.
func BenchmarkTrayCoverage50MBReindented(b *testing.B) {
	base, head := trayPair()
	var re bytes.Buffer
	if err := json.Indent(&re, head, "", "\t"); err != nil {
		b.Fatal(err)
	}
	benchCoverage(b, base, re.Bytes())
}

func benchCoverage(b *testing.B, base, head []byte) {
	eng, err := New()
	if err != nil {
		b.Fatal(err)
	}
	checker, err := coverage.New(tray.Coverage())
	if err != nil {
		b.Fatal(err)
	}
	parse := func(name string, src []byte) *tray.Export {
		doc, err := formats.ParseJSON(name, src)
		if err != nil {
			b.Fatal(err)
		}
		e, err := tray.Parse(doc)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	be, he := parse("base/export.json", base), parse("head/export.json", head)
	findings := tray.Diff(be, he).Findings
	pairs := []coverage.Pair{{Base: structdiff.Input{Doc: be.Doc, At: be.Pointer}, Head: structdiff.Input{Doc: he.Doc, At: he.Pointer}}}
	bt, ht := files{"export.json": string(base)}.tree("base"), files{"export.json": string(head)}.tree("head")
	var baseTime, compareTime, coverTime time.Duration
	var coverMem uint64
	var items, uncovered int
	b.SetBytes(int64(len(base) + len(head)))
	b.ResetTimer()
	for range b.N {
		// Each measurement starts after a collection, so no part pays for
		// the garbage another left.
		b.StopTimer()
		t, _ := measure(func() { decodeBaseline(base, head) })
		baseTime += t
		t, _ = measure(func() {
			if _, err := eng.Run(context.Background(), Request{Base: bt, Head: ht}); err != nil {
				b.Fatal(err)
			}
		})
		compareTime += t
		runtime.GC()
		b.StartTimer()
		t, m := measure(func() {
			r := checker.Check(pairs, findings)
			items, uncovered = len(r.Items), len(r.Uncovered())
		})
		coverTime += t
		coverMem = max(coverMem, m)
	}
	if items == 0 {
		b.Fatal("the generated pair must have changes")
	}
	b.ReportMetric(float64(items), "changes")
	b.ReportMetric(float64(coverMem)/(1<<20), "coverage-peak-MB")
	b.ReportMetric(float64(uncovered), "uncovered")
	b.ReportMetric(coverTime.Seconds()/compareTime.Seconds(), "coverage-of-compare")
	b.ReportMetric(compareTime.Seconds()/baseTime.Seconds(), "compare-ratio")
}
