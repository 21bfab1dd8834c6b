package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// The wiring the rollout and versions commands share: the store, the Tray
// client paced by the budget shared through the store, the engine.

// TrayTokenVar holds the Tray master token the rollout commands use.
const TrayTokenVar = "BREAKWATER_TRAY_TOKEN"

// DatabaseVar is the default of --database.
const DatabaseVar = "BREAKWATER_DATABASE_URL"

type rolloutWiring struct {
	database    string
	pkg         string
	environment string
	trayURL     string
	solutionID  string
	asOwner     bool
	rate        float64
	burst       int
	concurrency int
	// lease, heartbeat and slice tune the engine (rollout work).
	lease, heartbeat, slice time.Duration
	values                  slotValues // --value SLOT=JSON
	valueEnvs               slotValues // --value-env SLOT=VARIABLE
	authValues              slotValues // --auth-value SLOT=AUTHID
}

// rolloutFlags says which flags a command takes beyond --database and
// --package.
type rolloutFlags struct {
	target   bool // where the instances are: --tray-url, --solution-id, Tray's rate limit
	upgrades bool // how instances are upgraded: --as-owner, --concurrency
	values   bool // the owner's values for hidden slots
}

func (w *rolloutWiring) register(fs *flag.FlagSet, which rolloutFlags) {
	fs.StringVar(&w.database, "database", "", "the bot's store: sqlite:PATH or a postgres:// `URL` (default $"+DatabaseVar+", else "+store.DefaultURL+")")
	fs.StringVar(&w.pkg, "package", "", "the package's runtime `name`, as releases record it (required)")
	fs.StringVar(&w.environment, "environment", "production", "the deployment environment (`name`)")
	if which.target {
		fs.StringVar(&w.trayURL, "tray-url", "", "Tray's GraphQL endpoint `URL` (default https://tray.io/graphql); the master token is $"+TrayTokenVar)
		fs.StringVar(&w.solutionID, "solution-id", "", "the Tray solution `ID` whose instances the environment runs")
		fs.Float64Var(&w.rate, "rate-limit", tray.DefaultRateLimit, "Tray's rate limit: `N` requests per second, shared by every process using the store")
		fs.IntVar(&w.burst, "burst", 50, "Tray's burst: how many requests (`N`) it takes at once above the rate")
	}
	// Only the commands that upgrade take these: versions never does.
	w.concurrency = rollout.DefaultConcurrency
	if which.upgrades {
		fs.BoolVar(&w.asOwner, "as-owner", false, "send each upgrade with its owner's user token (when Tray requires it)")
		fs.IntVar(&w.concurrency, "concurrency", rollout.DefaultConcurrency, "how many upgrades (`N`) of one rollout are in flight at once")
	}
	if which.values {
		fs.Var(&w.values, "value", "the value of a hidden config slot, as JSON (`SLOT=JSON`: region='\"eu\"', size=7); repeatable")
		fs.Var(&w.valueEnvs, "value-env", "the value of a hidden config slot from an environment variable (`SLOT=VARIABLE`; for\nsecrets, which are never stored); repeatable")
		fs.Var(&w.authValues, "auth-value", "the authentication of a hidden auth slot (`SLOT=AUTHID`); repeatable")
	}
}

// slotValues is a repeatable SLOT=VALUE flag.
type slotValues map[string]string

func (s *slotValues) String() string {
	if s == nil || *s == nil {
		return ""
	}
	keys := make([]string, 0, len(*s))
	for k := range *s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (s *slotValues) Set(v string) error {
	slot, val, ok := strings.Cut(v, "=")
	if !ok || slot == "" {
		return fmt.Errorf("%q is not SLOT=VALUE", v)
	}
	if *s == nil {
		*s = slotValues{}
	}
	if _, dup := (*s)[slot]; dup {
		return fmt.Errorf("slot %q is given twice", slot)
	}
	(*s)[slot] = val
	return nil
}

// supplied are the owner's values from the flags and the environment.
func (w *rolloutWiring) supplied(env Env) (plan.Supplied, error) {
	out := plan.Supplied{Config: map[string]string{}, Auth: map[string]string{}}
	for slot, v := range w.values {
		if !json.Valid([]byte(v)) {
			return out, fmt.Errorf("--value %s=%s is not JSON (a string needs quotes: %s=%q)", slot, v, slot, v)
		}
		out.Config[slot] = v
	}
	for slot, name := range w.valueEnvs {
		if _, dup := out.Config[slot]; dup {
			return out, fmt.Errorf("config slot %q has both --value and --value-env", slot)
		}
		v := env.Getenv(name)
		if v == "" {
			return out, fmt.Errorf("--value-env %s=%s: $%s is empty or unset", slot, name, name)
		}
		if !json.Valid([]byte(v)) {
			return out, fmt.Errorf("--value-env %s=%s: $%s is not JSON (a string needs quotes)", slot, name, name)
		}
		out.Config[slot] = v
	}
	for slot, id := range w.authValues {
		out.Auth[slot] = id
	}
	return out, nil
}

func (w *rolloutWiring) databaseURL(env Env) string {
	if w.database != "" {
		return w.database
	}
	if v := env.Getenv(DatabaseVar); v != "" {
		return v
	}
	return store.DefaultURL
}

// wired is an open store with its engine.
type wired struct {
	st  *store.Store
	eng *rollout.Engine
}

// open opens the store and the engine; work > 0 makes the store work the
// engine's jobs, that many rollouts at once. Close the store when done.
func (w *rolloutWiring) open(ctx context.Context, env Env, work int) (*wired, error) {
	if w.pkg == "" && work == 0 {
		return nil, errors.New("--package is required")
	}
	log := env.logger()
	var client *tray.Client
	var targetErr error
	values, err := w.supplied(env)
	if err != nil {
		return nil, err
	}
	targets := rollout.TargetsFunc(func(ctx context.Context, pkg, environment string) (rollout.Target, error) {
		if targetErr != nil {
			return rollout.Target{}, targetErr
		}
		if environment != w.environment {
			return rollout.Target{}, fmt.Errorf("no Tray solution is configured for environment %s (this command has --solution-id for %s)", environment, w.environment)
		}
		return rollout.Target{Runtime: client, SolutionID: w.solutionID, Values: values, AsOwner: w.asOwner}, nil
	})
	eng, err := rollout.New(rollout.Options{Targets: targets, Concurrency: w.concurrency, Lease: w.lease,
		DriverLease: w.heartbeat, Slice: w.slice, Logger: log})
	if err != nil {
		return nil, err
	}
	opts := store.Options{Logger: log}
	if work > 0 {
		cfg := eng.RiverConfig(work)
		cfg.Logger = log
		opts.River = cfg
	}
	st, err := store.Open(ctx, w.databaseURL(env), opts)
	if err != nil {
		return nil, err
	}
	eng.Bind(st)
	client, targetErr = w.trayClient(env, st, log)
	return &wired{st: st, eng: eng}, nil
}

// openRollout opens the store and finds the rollout args name: the
// version in args[0], or the package's newest rollout to the environment.
// Close the store when done.
func (w *rolloutWiring) openRollout(ctx context.Context, env Env, args []string) (*wired, store.Rollout, error) {
	wd, err := w.open(ctx, env, 0)
	if err != nil {
		return nil, store.Rollout{}, err
	}
	version := ""
	if len(args) == 1 {
		version = args[0]
	}
	r, err := wd.eng.Find(ctx, w.pkg, version, w.environment)
	if err != nil {
		wd.st.Close()
		return nil, store.Rollout{}, err
	}
	return wd, r, nil
}

// trayClient is the Tray client, or why there is none.
func (w *rolloutWiring) trayClient(env Env, st *store.Store, log *slog.Logger) (*tray.Client, error) {
	token := env.Getenv(TrayTokenVar)
	switch {
	case w.solutionID == "":
		return nil, fmt.Errorf("no Tray solution for environment %s: give --solution-id", w.environment)
	case token == "":
		return nil, fmt.Errorf("no Tray master token: set $%s", TrayTokenVar)
	}
	url := w.trayURL
	if url == "" {
		url, _ = tray.RegionUS.GraphQLURL()
	}
	lim, err := rollout.NewSharedLimiter(st, "tray:"+url, rollout.LimiterOptions{Rate: w.rate, Burst: w.burst, Logger: log})
	if err != nil {
		return nil, err
	}
	return tray.New(tray.Options{MasterToken: token, GraphQLURL: url, Limiter: lim, Logger: log})
}
