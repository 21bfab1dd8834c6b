package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// publishing are the reads that publishing does (labels, comments, check
// runs, who the token is); every other read is of the pull request.
var publishing = map[string]bool{
	"issues/list-labels-for-repo": true, "issues/list-comments": true, "checks/list-for-ref": true,
	"checks/list-annotations": true, "users/get-authenticated": true,
}

// reads are the API operations a run sent to read the pull request, in
// order, and the number of annotation batches beyond the first.
func reads(s *prruntest.Scenario) (ops []string, batches int) {
	for _, r := range s.Fake.Requests() {
		switch {
		case r.Operation == "checks/update":
			batches++
		case !r.Write() && !publishing[r.Operation]:
			ops = append(ops, r.Operation)
		}
	}
	return ops, batches
}

// TestScale runs the action on pull requests that change N Tray exports,
// with a full checkout, a shallow one (the fetch goes to a real git host,
// with the token) and none: the report is the same in every mode and the
// same as `breakwater diff` of the two trees, and the requests do not grow
// with N — only the check run's annotation batches do, up to GitHub's cap.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("the scale test builds repositories of up to 300 exports")
	}
	type run struct {
		report  map[string]any
		ops     []string
		batches int
		total   int // requests but annotation batches
		git     int
	}
	runs := map[int]map[prruntest.Checkout]run{}
	for _, n := range []int{1, 20, 300} {
		base, head := prruntest.TrayExports(t, n)
		runs[n] = map[prruntest.Checkout]run{}
		for _, checkout := range prruntest.Checkouts {
			t.Run(fmt.Sprintf("N=%d/checkout=%s", n, checkout), func(t *testing.T) {
				s := prruntest.NewGit(t, base, head, checkout)
				r := runAction(t, s)
				expectCode(t, r, 1)
				ops, batches := reads(s)
				x := run{report: readReport(t, s), ops: ops, batches: batches, total: len(s.Fake.Requests()) - batches, git: len(s.GitServer.Requests())}
				runs[n][checkout] = x

				// The annotations: three breaking changes per export and the
				// insufficient bump, 50 a request, at most 1,000.
				if want := (min(3*n+1, 1000)+49)/50 - 1; batches != want {
					t.Errorf("%d annotation batches, want %d", batches, want)
				}
				want := []string{"pulls/get", "repos/compare-commits"}
				switch {
				case checkout != prruntest.NoCheckout:
				case n+1 <= source.ContentsLimit:
					// The configuration, two listings, each file of each side.
					want = append(want, "repos/get-content", "git/get-tree", "git/get-tree")
					want = append(want, slices.Repeat([]string{"repos/get-content"}, 2*(n+1))...)
				default:
					want = append(want, "repos/get-content", "git/get-tree", "git/get-tree", "repos/download-tarball-archive", "repos/download-tarball-archive")
				}
				if diff := cmp.Diff(sorted(want), sorted(ops)); diff != "" {
					t.Errorf("reads (-want +got):\n%s", diff)
				}
				wantDownloads := 0
				if checkout == prruntest.NoCheckout && n+1 > source.ContentsLimit {
					wantDownloads = 2
				}
				if got := len(s.Fake.Downloads()); got != wantDownloads {
					t.Errorf("%d archive downloads, want %d", got, wantDownloads)
				}
				if (x.git > 0) != (checkout == prruntest.ShallowCheckout) {
					t.Errorf("%d requests to the git host", x.git)
				}
				wantLog := map[prruntest.Checkout]string{
					prruntest.FullCheckout:    "read both sides from the git checkout.",
					prruntest.ShallowCheckout: "after fetching 2 commit(s) one level deep",
					prruntest.NoCheckout:      "read both sides through GitHub's API",
				}[checkout]
				if !strings.Contains(r.stdout, wantLog) || strings.Contains(r.stdout, "::notice::Breakwater read the pull request's files through GitHub's API instead") {
					t.Errorf("the log does not say %q, or has a notice:\n%s", wantLog, r.stdout)
				}
				if strings.Contains(r.stdout+r.stderr, prruntest.Token) && !strings.Contains(r.stdout, "::add-mask::"+prruntest.Token) {
					t.Error("the token reached the log")
				}
			})
		}
		if t.Failed() {
			return
		}
		// The same report in every mode, and the CLI's findings.
		want := runs[n][prruntest.NoCheckout].report
		for _, checkout := range []prruntest.Checkout{prruntest.FullCheckout, prruntest.ShallowCheckout} {
			if diff := cmp.Diff(want, runs[n][checkout].report); diff != "" {
				t.Errorf("N=%d: the report with a %s checkout differs from the API's (-api +checkout):\n%s", n, checkout, diff)
			}
		}
		if diff := cmp.Diff(cliFindings(t, base, head), findings(want)); diff != "" {
			t.Errorf("N=%d: the action's findings differ from `breakwater diff` (-cli +action):\n%s", n, diff)
		}
	}
	// The requests do not grow with N (the annotation batches aside): the
	// same for 20 and 300 exports in every mode, and with a checkout for
	// one export too.
	for _, checkout := range prruntest.Checkouts {
		a, b := runs[20][checkout], runs[300][checkout]
		if a.total != b.total || a.git != b.git {
			t.Errorf("%s checkout: %d requests (%d to the git host) for 20 exports, %d (%d) for 300", checkout, a.total, a.git, b.total, b.git)
		}
		if checkout != prruntest.NoCheckout && runs[1][checkout].total != a.total {
			t.Errorf("%s checkout: %d requests for 1 export, %d for 20", checkout, runs[1][checkout].total, a.total)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func readReport(t *testing.T, s *prruntest.Scenario) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Workspace, filepath.FromSlash(".breakwater/report.json")))
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// findings are a JSON report's changes, with the files named as in the
// repository.
func findings(rep map[string]any) []any {
	changes, _ := rep["changes"].([]any)
	return changes
}

// cliFindings are the findings of `breakwater diff --format json` of the two
// trees, as directories, with their files named as in the repository.
func cliFindings(t *testing.T, base, head map[string][]byte) []any {
	t.Helper()
	dir := t.TempDir()
	prruntest.WriteTree(t, filepath.Join(dir, "base"), base)
	prruntest.WriteTree(t, filepath.Join(dir, "head"), head)
	cmd := exec.Command(binary, "diff", "--format", "json", "base", "head")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("breakwater diff: %v\n%s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	out := findings(rep)
	for _, c := range out {
		f := c.(map[string]any)
		for _, side := range []string{"base/", "head/"} {
			if s, ok := f["file"].(string); ok && strings.HasPrefix(s, side) {
				f["file"] = strings.TrimPrefix(s, side)
			}
		}
	}
	return out
}

// TestRateLimitStopsTheRunBeforeAnyWrite: when the requests left cannot
// cover the run, it stops with exit code 2 before writing anything, and the
// job summary and the error say when the limit resets — whether the
// shortfall shows before reading or only once the findings are known.
func TestRateLimitStopsTheRunBeforeAnyWrite(t *testing.T) {
	base, head := prruntest.TrayExports(t, 20)
	reset := time.Now().Add(37 * time.Minute)
	for name, tc := range map[string]struct {
		checkout  prruntest.Checkout
		remaining int
		what      string
	}{
		// Reading through the API takes more than is left.
		"before reading": {prruntest.NoCheckout, 6, "comparing the pull request and publishing the result"},
		// Reading from the checkout takes nothing; 60 annotations, labels
		// and the comment take more than is left.
		"before writing": {prruntest.FullCheckout, 2 + 12, "publishing the result"},
	} {
		t.Run(name, func(t *testing.T) {
			s := prruntest.NewGit(t, base, head, tc.checkout)
			s.Fake.SetRateLimit(1000, tc.remaining, reset)
			r := runAction(t, s)
			expectCode(t, r, 2)
			for _, req := range s.Fake.Requests() {
				if req.Write() {
					t.Errorf("wrote %s %s", req.Method, req.Path)
				}
			}
			at := reset.UTC().Format(time.DateTime) + " UTC"
			if !strings.Contains(r.stderr, "rate limit cannot cover this run") || !strings.Contains(r.stderr, at) || !strings.Contains(r.stderr, tc.what) {
				t.Errorf("stderr does not name the shortfall, %q and the reset at %s:\n%s", tc.what, at, r.stderr)
			}
			if !strings.Contains(r.summary, "rate limit cannot cover this run") || !strings.Contains(r.summary, at) {
				t.Errorf("the summary does not say so:\n%s", r.summary)
			}
			if len(r.outputs) != 0 {
				t.Errorf("outputs were written: %v", r.outputs)
			}
		})
	}
	// With enough left, the same run goes through.
	s := prruntest.NewGit(t, base, head, prruntest.FullCheckout)
	s.Fake.SetRateLimit(1000, 100, reset)
	expectCode(t, runAction(t, s), 1)
}
