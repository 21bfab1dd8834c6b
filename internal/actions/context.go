package actions

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Context is what the runner says about the run in GITHUB_* variables.
type Context struct {
	EventName string // GITHUB_EVENT_NAME, e.g. pull_request
	EventPath string // GITHUB_EVENT_PATH: the webhook payload as JSON
	// Owner and Repo split GITHUB_REPOSITORY.
	Owner, Repo string
	SHA         string // GITHUB_SHA
	Ref         string // GITHUB_REF
	Workspace   string // GITHUB_WORKSPACE
	Actor       string // GITHUB_ACTOR
	APIURL      string // GITHUB_API_URL, default https://api.github.com
	ServerURL   string // GITHUB_SERVER_URL, default https://github.com
	RunID       int64  // GITHUB_RUN_ID
	RunAttempt  int    // GITHUB_RUN_ATTEMPT
	Job         string // GITHUB_JOB
	Workflow    string // GITHUB_WORKFLOW
}

// Context reads the run's context from the environment.
func (r *Runner) Context() (Context, error) {
	c := Context{
		EventName: r.getenv("GITHUB_EVENT_NAME"),
		EventPath: r.getenv("GITHUB_EVENT_PATH"),
		SHA:       r.getenv("GITHUB_SHA"),
		Ref:       r.getenv("GITHUB_REF"),
		Workspace: r.getenv("GITHUB_WORKSPACE"),
		Actor:     r.getenv("GITHUB_ACTOR"),
		APIURL:    strings.TrimRight(r.getenv("GITHUB_API_URL"), "/"),
		ServerURL: strings.TrimRight(r.getenv("GITHUB_SERVER_URL"), "/"),
		Job:       r.getenv("GITHUB_JOB"),
		Workflow:  r.getenv("GITHUB_WORKFLOW"),
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.github.com"
	}
	if c.ServerURL == "" {
		c.ServerURL = "https://github.com"
	}
	repo := r.getenv("GITHUB_REPOSITORY")
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return c, fmt.Errorf("GITHUB_REPOSITORY is %q: want owner/name (is this running in GitHub Actions?)", repo)
	}
	c.Owner, c.Repo = owner, name
	if c.EventPath == "" {
		return c, fmt.Errorf("GITHUB_EVENT_PATH is not set (is this running in GitHub Actions?)")
	}
	if s := r.getenv("GITHUB_RUN_ID"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return c, fmt.Errorf("GITHUB_RUN_ID is %q: %w", s, err)
		}
		c.RunID = id
	}
	if s := r.getenv("GITHUB_RUN_ATTEMPT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("GITHUB_RUN_ATTEMPT is %q: %w", s, err)
		}
		c.RunAttempt = n
	}
	return c, nil
}

// RunURL is the web page of the workflow run, where the job summary is;
// "" when the run ID is unknown.
func (c Context) RunURL() string {
	if c.RunID == 0 {
		return ""
	}
	u := fmt.Sprintf("%s/%s/%s/actions/runs/%d", c.ServerURL, c.Owner, c.Repo, c.RunID)
	if c.RunAttempt > 1 {
		u += fmt.Sprintf("/attempts/%d", c.RunAttempt)
	}
	return u
}

// ReadEvent reads the webhook payload GITHUB_EVENT_PATH names.
func (c Context) ReadEvent() ([]byte, error) {
	b, err := os.ReadFile(c.EventPath)
	if err != nil {
		return nil, fmt.Errorf("reading the event payload (GITHUB_EVENT_PATH): %w", err)
	}
	return b, nil
}
