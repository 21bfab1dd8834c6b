package prsurface

import "github.com/breakwater-dev/breakwater/internal/githubapi"

// Requests is about the most API requests Publish sends for c on pr — a
// first publication, with every label still to create — counting each list
// as one page: what a caller checks against the token's rate limit before
// it writes anything, so that a run never stops with half a result
// published.
func Requests(pr PullRequest, c Content, opts Options) int {
	n := 0
	if (opts.CheckRun || opts.Comment && c.Failure == "") && opts.Identity.App.ID == 0 {
		n++ // GET /user
	}
	if c.Failure != "" {
		if opts.CheckRun {
			// Only the check run: list the commit's, then create or update.
			n += 2
		}
		return n
	}
	add, remove := labelChanges(LabelsFor(c.Report, c.Labels), pr.Labels, ownLabels(c.Labels))
	if len(add) > 0 {
		n += 1 + len(add) + 1 // list the repository's labels, create the missing, add
	}
	n += len(remove)
	if opts.CheckRun {
		anns := min(len(c.Annotations), maxCheckAnnotations)
		// List the commit's check runs and an earlier run's annotations,
		// then create or update, 50 annotations a request.
		n += 2 + max(1, (anns+githubapi.AnnotationsPerRequest-1)/githubapi.AnnotationsPerRequest)
	}
	if opts.Comment {
		n += 3 // list, create or update, list again after creating
	}
	return n
}
