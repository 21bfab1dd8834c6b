package prrun_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
)

// The input side never passes what it did not compare: a file GitHub will
// not serve and a listing GitHub cut short are tool errors naming what was
// missed; only files that are exports by content count.

// exportOnly is the sample pair without its package.json, so that the only
// files read are the export's two versions.
func exportOnly(t *testing.T) (base, head map[string][]byte) {
	b, h := prruntest.SamplePair(t)
	return map[string][]byte{exportFile: b[exportFile]}, map[string][]byte{exportFile: h[exportFile]}
}

func TestExportTheAPICannotServeIsAToolError(t *testing.T) {
	base, head := exportOnly(t)
	s := prruntest.New(t, base, head)
	// The configuration comes from the checkout, so the first content read
	// is the export's.
	s.WriteWorkspace(".github/breakwater.yml", []byte("comment: true\n"))
	s.Fake.Fail(githubtest.Fault{
		Operation: "repos/get-content", Status: http.StatusForbidden,
		Body: `{"message":"This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API, but you can use the Git Data API to request blobs up to 100 MB in size."}`,
	})
	o := run(t, s)
	if o.err == nil || !strings.Contains(o.err.Error(), exportFile+" cannot be compared") {
		t.Fatalf("err = %v, want the export named", o.err)
	}
	if w := writes(s); len(w) != 0 {
		t.Errorf("a run that compared nothing wrote %+v", w)
	}
}

func TestTruncatedTreeIsAToolError(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.TruncateTrees()
	o := run(t, s)
	if o.err == nil || !strings.Contains(o.err.Error(), "cut the file listing of "+prruntest.Owner+"/"+prruntest.Name+"@") {
		t.Fatalf("err = %v, want the truncated listing named", o.err)
	}
	if w := writes(s); len(w) != 0 {
		t.Errorf("a run that compared nothing wrote %+v", w)
	}
}

// The changed files come from the two trees, not from the pull request's
// file list (which GitHub stops at 3,000 files, and pages by 100).
func TestChangedFilesComeFromTheTrees(t *testing.T) {
	base, head := exportOnly(t)
	s := prruntest.New(t, base, head)
	o := mustRun(t, s)
	if o.res.Report.Summary.Compared.Artifacts != 1 || !o.res.Failed {
		t.Errorf("result %+v", o.res)
	}
	for _, r := range s.Fake.Requests() {
		if r.Operation == "pulls/list-files" {
			t.Errorf("the run listed the pull request's files: %s", r.Path)
		}
	}
}

// A pull request that changes a JSON file that is not an export, under the
// default globs, gets no comment and no labels: it changes no export.
func TestOnlyExportsByContentCount(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	base = prruntest.With(base, map[string][]byte{".vscode/settings.json": []byte(`{"editor.tabSize": 2}`)})
	s := prruntest.New(t, base, prruntest.With(base, map[string][]byte{".vscode/settings.json": []byte(`{"editor.tabSize": 4}`)}))
	o := mustRun(t, s)
	if o.res.Touched || o.res.Failed || o.res.Report.Summary.Compared.Skipped != 2 {
		t.Errorf("result %+v, compared %+v", o.res, o.res.Report.Summary.Compared)
	}
	if n := len(stickyComments(s)); n != 0 {
		t.Errorf("%d comments on a pull request that changes no export", n)
	}
	if got := s.Repo.PullLabels(prruntest.Number); len(got) != 0 {
		t.Errorf("labels = %q", got)
	}
	if !strings.Contains(s.Summary(), "changes no export files") {
		t.Errorf("summary = %q", s.Summary())
	}
}

// A pull request that only moves an export is one move, not a removal and
// an addition, and breaks nothing.
func TestMovedExportIsOneMove(t *testing.T) {
	base, _ := exportOnly(t)
	s := prruntest.New(t, base, map[string][]byte{"solutions/dropbox.json": base[exportFile]})
	o := mustRun(t, s)
	var rules []string
	for _, f := range o.res.Report.Changes {
		rules = append(rules, f.Rule)
	}
	if len(rules) != 1 || rules[0] != "artifact/moved" || o.res.Failed {
		t.Errorf("rules %v, failed %v", rules, o.res.Failed)
	}
}

// A pull request that fixes an export the base could not even read passes:
// the head is compared as a new export, and the report says why.
func TestFixingAnInvalidBaseCanPass(t *testing.T) {
	base, _ := exportOnly(t)
	broken := map[string][]byte{exportFile: base[exportFile][:len(base[exportFile])/2]}
	s := prruntest.New(t, broken, base)
	o := mustRun(t, s)
	found := false
	for _, f := range o.res.Report.Changes {
		found = found || f.Rule == "artifact/base-invalid"
	}
	if o.res.Failed || !o.res.Touched || !found {
		t.Errorf("failed %v, touched %v, base-invalid reported %v", o.res.Failed, o.res.Touched, found)
	}
}

// Configured globs that match no file in either commit are a mistake in
// the configuration: every pull request would otherwise "change no export"
// and pass for as long as it stays.
func TestGlobsThatMatchNothingAreAToolError(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	cfg := map[string][]byte{".github/breakwater.yml": []byte("artifacts:\n  - paths: [\"exprots/**/*.json\"]\n")}
	s := prruntest.New(t, prruntest.With(base, cfg), prruntest.With(head, cfg))
	o := run(t, s)
	if o.err == nil || !strings.Contains(o.err.Error(), "the artifacts globs of .github/breakwater.yml (exprots/**/*.json") {
		t.Fatalf("err = %v, want the globs named", o.err)
	}
	if w := writes(s); len(w) != 0 {
		t.Errorf("the run wrote: %+v", w)
	}
}
