package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The differ benchmark compares `Compare` on a generated Tray export pair of
// about 50 MB each against a baseline that only decodes both files into any
// with encoding/json. Targets: time and peak memory ≤ 1.5× the baseline.
// Run: go test -run '^$' -bench . -benchtime 3x ./internal/engine/
// The ratios are reported as metrics of BenchmarkTrayDiff50MB.

var trayPair = sync.OnceValues(func() ([]byte, []byte) {
	return generateTrayPair(50 << 20)
})

// generateTrayPair builds a large export from the real sample's shapes:
// its workflows copied with new ids until the file reaches size, hundreds
// of auth slots and thousands of config slots. The head changes scopes,
// types, defaults, steps and removes and adds slots and workflows.
func generateTrayPair(size int) (base, head []byte) {
	src, err := os.ReadFile("../../testdata/examples/tray/base/bynder-dropbox.project.json")
	if err != nil {
		panic(err)
	}
	var sample map[string]any
	if err := json.Unmarshal(src, &sample); err != nil {
		panic(err)
	}
	sol := sample["solution"].(map[string]any)
	wfs := sample["workflows"].([]any)
	authProto := sol["auth_slots"].([]any)[0].(map[string]any)
	cfgProto := sol["config_slots"].([]any)[0].(map[string]any)

	build := func(isHead bool) []byte {
		var workflows, auths, configs []any
		var total int
		for i := 0; total < size*45/100; i++ { // indenting roughly doubles the compact size
			w := clone(wfs[i%len(wfs)]).(map[string]any)
			w["id"] = fmt.Sprintf("wf-%06d", i)
			w["title"] = fmt.Sprintf("Workflow %d", i)
			if isHead && i%97 == 0 { // edit one step in about 1% of workflows
				for _, st := range w["steps"].(map[string]any) {
					st.(map[string]any)["title"] = "edited"
					break
				}
			}
			if isHead && i == 3 {
				continue // a removed workflow
			}
			b, _ := json.Marshal(w)
			total += len(b)
			workflows = append(workflows, w)
		}
		for i := 0; i < 400; i++ {
			a := clone(authProto).(map[string]any)
			a["id"] = fmt.Sprintf("auth-%d", i)
			a["external_id"] = fmt.Sprintf("external_auth_%d", i)
			if isHead && i%50 == 0 {
				a["scopes"] = append(a["scopes"].([]any), "extra:scope")
			}
			auths = append(auths, a)
		}
		for i := 0; i < 5000; i++ {
			c := clone(cfgProto).(map[string]any)
			c["id"] = fmt.Sprintf("cfg-%d", i)
			c["key"] = fmt.Sprintf("key%d", i)
			c["external_id"] = fmt.Sprintf("external_cfg_%d", i)
			if isHead && i%250 == 0 {
				c["type"] = "string"
			}
			if isHead && i == 10 {
				continue
			}
			configs = append(configs, c)
		}
		if isHead {
			n := clone(cfgProto).(map[string]any)
			n["external_id"], n["key"], n["hidden"], n["use_default_value"] = "external_new", "newKey", false, false
			configs = append(configs, n)
		}
		out := map[string]any{
			"tray_export_version": 4,
			"export_type":         "project",
			"workflows":           workflows,
			"projects":            sample["projects"],
			"solution": map[string]any{
				"id": sol["id"], "name": sol["name"], "project_id": sol["project_id"],
				"view_schema": sol["view_schema"], "auth_slots": auths, "config_slots": configs,
			},
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			panic(err)
		}
		return b
	}
	return build(false), build(true)
}

func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = clone(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = clone(x)
		}
		return s
	}
	return v
}

func decodeBaseline(base, head []byte) {
	var a, b any
	if err := json.Unmarshal(base, &a); err != nil {
		panic(err)
	}
	if err := json.Unmarshal(head, &b); err != nil {
		panic(err)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// measure runs op and returns its wall time and its peak heap growth.
func measure(op func()) (time.Duration, uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	before := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	op()
	elapsed := time.Since(start)
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	close(done)
	p := peak.Load()
	if p < before {
		return elapsed, 0
	}
	return elapsed, p - before
}

func BenchmarkTrayDecodeBaseline50MB(b *testing.B) {
	base, head := trayPair()
	b.SetBytes(int64(len(base) + len(head)))
	b.ResetTimer()
	for range b.N {
		decodeBaseline(base, head)
	}
}

func BenchmarkTrayDiff50MB(b *testing.B) {
	base, head := trayPair()
	ratioBench(b, files{"export.json": string(base)}, files{"export.json": string(head)})
}

// ratioBench times Compare on a pair against decoding every file of both
// sides into any with encoding/json, in the same run, and reports the
// ratios of time and peak heap.
func ratioBench(b *testing.B, base, head files) {
	eng, err := New()
	if err != nil {
		b.Fatal(err)
	}
	bt, ht := base.tree("base"), head.tree("head")
	compare := func() {
		res, err := eng.Run(context.Background(), Request{Base: bt, Head: ht})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Report.Changes) == 0 {
			b.Fatal("the generated pair must produce findings")
		}
	}
	// The baseline holds every decoded file until the end, as a differ
	// must hold both sides.
	decode := func() {
		var all []any
		for _, side := range []*MemTree{bt, ht} {
			for _, data := range side.Files {
				var v any
				if err := json.Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
				all = append(all, v)
			}
		}
		runtime.KeepAlive(all)
	}
	var size int64
	for _, data := range bt.Files {
		size += int64(len(data))
	}
	b.SetBytes(2 * size)
	var diffTime, baseTime time.Duration
	var diffMem, baseMem uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		t, m := measure(decode)
		baseTime += t
		baseMem = max(baseMem, m)
		b.StartTimer()
		t, m = measure(compare)
		diffTime += t
		diffMem = max(diffMem, m)
	}
	b.ReportMetric(float64(size)/(1<<20), "MB/side")
	// The absolute figures the ratios are made of, so that they add up.
	b.ReportMetric(diffTime.Seconds()/float64(b.N), "diff-s")
	b.ReportMetric(baseTime.Seconds()/float64(b.N), "baseline-s")
	b.ReportMetric(diffTime.Seconds()/baseTime.Seconds(), "time-ratio")
	b.ReportMetric(float64(diffMem)/float64(baseMem), "mem-ratio")
	b.ReportMetric(float64(baseMem)/(1<<20), "baseline-peak-MB")
	b.ReportMetric(float64(diffMem)/(1<<20), "diff-peak-MB")
}

// BenchmarkCkbkDiff3000Recipes: a template of 3,000 recipes (the test
// template's recipes repeated under new roles); the head renames, removes
// and edits some.
func BenchmarkCkbkDiff3000Recipes(b *testing.B) {
	src, err := os.ReadFile("../formats/ckbk/testdata/football-poll.ckbk")
	if err != nil {
		b.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(src, &tmpl); err != nil {
		b.Fatal(err)
	}
	protos := tmpl["recipes"].([]any)
	build := func(isHead bool) []byte {
		var recipes []any
		for i := 0; i < 3000; i++ {
			r := clone(protos[i%len(protos)]).(map[string]any)
			r["id"] = i + 1
			r["collectionRole"] = fmt.Sprintf("%v_%d", r["collectionRole"], i)
			r["name"] = fmt.Sprintf("%v %d", r["name"], i)
			// callingRecipeIds would point at the prototypes' ids: drop them.
			for _, tr := range r["triggers"].([]any) {
				if data, ok := tr.(map[string]any)["data"].(map[string]any); ok {
					delete(data, "callingRecipeIds")
				}
			}
			if isHead && i%100 == 0 {
				r["collectionRole"] = fmt.Sprintf("renamed_%d", i)
			}
			if isHead && i%150 == 1 {
				continue
			}
			recipes = append(recipes, r)
		}
		out := clone(tmpl).(map[string]any)
		out["recipes"] = recipes
		data, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	ratioBench(b, files{"poll.ckbk": string(build(false))}, files{"poll.ckbk": string(build(true))})
}

// BenchmarkVNextDiff300Workflows: the real core package with 300 workflow
// definitions (its workflows copied under new keys); the head removes
// states and retargets transitions in some.
func BenchmarkVNextDiff300Workflows(b *testing.B) {
	base := files{}
	var protos []string
	for p, data := range readTree(b, "../formats/vnext/testdata/core-package", "pkg") {
		if strings.HasPrefix(p, "pkg/core/Workflows/") {
			protos = append(protos, data)
			continue
		}
		base[p] = data
	}
	slices.Sort(protos)
	head := maps.Clone(base)
	for i := 0; i < 300; i++ {
		var wf map[string]any
		if err := json.Unmarshal([]byte(protos[i%len(protos)]), &wf); err != nil {
			b.Fatal(err)
		}
		wf["key"] = fmt.Sprintf("%v-%d", wf["key"], i)
		wf["flow"] = wf["key"]
		data, err := json.MarshalIndent(wf, "", "  ")
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("pkg/core/Workflows/wf-%03d.json", i)
		base[name] = string(data)
		if i%20 == 0 {
			attrs := wf["attributes"].(map[string]any)
			if states, ok := attrs["states"].([]any); ok && len(states) > 1 {
				attrs["states"] = states[:len(states)-1]
			}
			if data, err = json.MarshalIndent(wf, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
		head[name] = string(data)
	}
	ratioBench(b, base, head)
}
