package rollout

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// The bot's versions API (JSON), for scripts and dashboards:
//
//	GET  /api/v1/packages/{package}/versions[?count=true]
//	GET  /api/v1/packages/{package}/versions/{version}[?count=true]
//	POST /api/v1/packages/{package}/versions/{version}/retire[?interval=2m]
//
// Every request carries "Authorization: Bearer TOKEN". Counting asks Tray.
// A retirement checks twice, interval apart, so it runs as a job: the POST
// answers 202, and the version's "retirement" says how it went.

// Retirement states in the API.
const (
	RetirePending = "pending"
	RetireDone    = "retired"
	RetireRefused = "refused"
	RetireFailed  = "failed" // it could not be checked; Reason says why
)

// RetirementStatus is where a retirement asked through the API stands.
type RetirementStatus struct {
	State       string        `json:"state"`
	Reason      string        `json:"reason,omitempty"`
	Instances   []InstanceRef `json:"instances"`
	RequestedAt time.Time     `json:"requestedAt"`
}

// VersionView is a version as the API shows it.
type VersionView struct {
	VersionInfo
	Retirement *RetirementStatus `json:"retirement,omitempty"`
}

func retireKey(pkg, version string) string { return "retirement/" + pkg + "/" + version }

// APIPrefix is where the versions API is served.
const APIPrefix = "/api/v1/"

// MaxRetireInterval bounds the wait between a retirement's checks.
const MaxRetireInterval = time.Hour

// API serves the versions API; token is the bearer token every request
// must carry (empty: the API refuses everything).
func (e *Engine) API(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+APIPrefix+"packages/{package}/versions", func(w http.ResponseWriter, r *http.Request) {
		vs, err := e.Versions(r.Context(), r.PathValue("package"), r.URL.Query().Get("count") == "true")
		if err != nil {
			apiError(w, err)
			return
		}
		out := make([]VersionView, 0, len(vs))
		for _, v := range vs {
			view, err := e.view(r.Context(), v)
			if err != nil {
				apiError(w, err)
				return
			}
			out = append(out, view)
		}
		apiJSON(w, http.StatusOK, map[string]any{"package": r.PathValue("package"), "versions": out})
	})
	mux.HandleFunc("GET "+APIPrefix+"packages/{package}/versions/{version}", func(w http.ResponseWriter, r *http.Request) {
		v, err := e.Version(r.Context(), r.PathValue("package"), r.PathValue("version"), r.URL.Query().Get("count") == "true")
		if err != nil {
			apiError(w, err)
			return
		}
		view, err := e.view(r.Context(), v)
		if err != nil {
			apiError(w, err)
			return
		}
		apiJSON(w, http.StatusOK, view)
	})
	mux.HandleFunc("POST "+APIPrefix+"packages/{package}/versions/{version}/retire", func(w http.ResponseWriter, r *http.Request) {
		pkg, version := r.PathValue("package"), r.PathValue("version")
		interval := 2 * time.Minute
		if s := r.URL.Query().Get("interval"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 || d > MaxRetireInterval {
				apiJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("interval %q: want a duration up to %s", s, MaxRetireInterval)})
				return
			}
			interval = d
		}
		if _, err := e.Version(r.Context(), pkg, version, false); err != nil {
			apiError(w, err)
			return
		}
		st := RetirementStatus{State: RetirePending, Instances: []InstanceRef{}, RequestedAt: time.Now().UTC()}
		if err := e.putRetirement(r.Context(), pkg, version, st); err != nil {
			apiError(w, err)
			return
		}
		// A job per request, not unique by its arguments: River would skip
		// a request made again while the last one runs or after it
		// completed, and its status would stay pending for good.
		if _, err := e.store.Enqueue(r.Context(), retireArgs{Package: pkg, Version: version, Interval: interval},
			&river.InsertOpts{Queue: e.opts.Queue, MaxAttempts: 3}); err != nil {
			apiError(w, err)
			return
		}
		w.Header().Set("Location", APIPrefix+"packages/"+pkg+"/versions/"+version)
		apiJSON(w, http.StatusAccepted, st)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="breakwater"`)
			apiJSON(w, http.StatusUnauthorized, map[string]string{"error": "a bearer token is required (the bot's BREAKWATER_API_TOKEN)"})
			return
		}
		if err := e.bound(); err != nil {
			apiJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "starting"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (e *Engine) view(ctx context.Context, v VersionInfo) (VersionView, error) {
	view := VersionView{VersionInfo: v}
	b, err := e.store.Value(ctx, retireKey(v.Package, v.Version))
	if errors.Is(err, store.ErrNotFound) {
		return view, nil
	}
	if err != nil {
		return view, err
	}
	var st RetirementStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return view, fmt.Errorf("the retirement of %s@%s is unreadable: %w", v.Package, v.Version, err)
	}
	view.Retirement = &st
	return view, nil
}

func (e *Engine) putRetirement(ctx context.Context, pkg, version string, st RetirementStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return e.store.PutValue(ctx, retireKey(pkg, version), b)
}

func apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

func apiError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		apiJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, store.ErrConflict):
		apiJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	default:
		apiJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	}
}

// retireArgs is a retirement asked through the API.
type retireArgs struct {
	Package  string        `json:"package"`
	Version  string        `json:"version"`
	Interval time.Duration `json:"interval"`
}

func (retireArgs) Kind() string { return "breakwater_version_retire" }

type retireWorker struct {
	river.WorkerDefaults[retireArgs]
	e *Engine
}

// Timeout covers the two checks and the wait between them.
func (w *retireWorker) Timeout(job *river.Job[retireArgs]) time.Duration {
	return job.Args.Interval + 10*time.Minute
}

func (w *retireWorker) Work(ctx context.Context, job *river.Job[retireArgs]) error {
	e := w.e
	if err := e.bound(); err != nil {
		return err
	}
	a := job.Args
	res, err := e.Retire(ctx, a.Package, a.Version, a.Interval, nil)
	st := RetirementStatus{State: RetireDone, Instances: res.Instances, RequestedAt: job.CreatedAt.UTC()}
	switch {
	case err != nil && ctx.Err() != nil:
		return err // stopped: River tries again
	case err != nil:
		st.State, st.Reason = RetireFailed, err.Error()
	case !res.Retired:
		st.State, st.Reason = RetireRefused, res.Reason
	}
	if st.Instances == nil {
		st.Instances = []InstanceRef{}
	}
	if err := e.putRetirement(context.WithoutCancel(ctx), a.Package, a.Version, st); err != nil {
		return err
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "retirement checked", slog.String("package", a.Package), slog.String("version", a.Version), slog.String("state", st.State))
	return nil
}
