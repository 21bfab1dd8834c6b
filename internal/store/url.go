package store

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Backend names a database engine the store runs on.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// DefaultURL is the zero-setup database: one SQLite file in the working
// directory.
const DefaultURL = "sqlite:breakwater.db"

// Location is a parsed database URL (the --database flag).
type Location struct {
	Backend Backend
	// Path is the SQLite database file.
	Path string
	// DSN is the PostgreSQL connection URL as given (it may hold a password:
	// never log it, log String instead).
	DSN string
	// Schema is the PostgreSQL schema named by a single-schema search_path
	// parameter; River's tables and notifications are kept in it too.
	Schema string
}

// maxEcho is how much of a bad value an error echoes back.
const maxEcho = 80

// String is the location with any password replaced, safe to log.
func (l Location) String() string {
	switch l.Backend {
	case SQLite:
		return "sqlite:" + l.Path
	case Postgres:
		return redactURL(l.DSN)
	}
	return ""
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ParseURL parses a database URL: sqlite:PATH (also sqlite://PATH) or a
// postgres:// / postgresql:// URL. Errors name the part that is wrong and
// never contain a password.
func ParseURL(raw string) (Location, error) {
	if strings.TrimSpace(raw) == "" {
		return Location{}, errors.New("database URL is empty: want sqlite:PATH (e.g. " + DefaultURL + ") or postgres://USER@HOST:PORT/DB")
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" {
		return Location{}, fmt.Errorf("database URL %q has no scheme: want sqlite:PATH (e.g. %s) or postgres://USER@HOST:PORT/DB", clip.Runes(raw, maxEcho), DefaultURL)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return parseSQLite(rest)
	case "postgres", "postgresql":
		return parsePostgres(raw)
	}
	return Location{}, fmt.Errorf("database URL scheme %q is not supported: want sqlite or postgres", clip.Runes(scheme, maxEcho))
}

func parseSQLite(rest string) (Location, error) {
	path := strings.TrimPrefix(rest, "//")
	switch {
	case path == "":
		return Location{}, fmt.Errorf("database URL %q has no file path after \"sqlite:\" (e.g. %s)", "sqlite:"+clip.Runes(rest, maxEcho), DefaultURL)
	case path == ":memory:" || strings.HasPrefix(path, "file::memory:") || strings.Contains(path, "mode=memory"):
		return Location{}, errors.New("database URL sqlite::memory: is refused: an in-memory database loses every acknowledged delivery when the process ends; give a file path")
	case strings.ContainsAny(path, "?#"):
		return Location{}, fmt.Errorf("SQLite path %q contains %q: query parameters are not accepted (the store sets its own pragmas)", clip.Runes(path, maxEcho), string(path[strings.IndexAny(path, "?#")]))
	case strings.ContainsRune(path, 0):
		return Location{}, fmt.Errorf("SQLite path %q contains a NUL byte", clip.Runes(path, maxEcho))
	case strings.HasSuffix(path, "/"):
		return Location{}, fmt.Errorf("SQLite path %q names a directory, not a file", clip.Runes(path, maxEcho))
	}
	return Location{Backend: SQLite, Path: path}, nil
}

func parsePostgres(raw string) (Location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, password included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Location{}, scrub(fmt.Errorf("PostgreSQL URL is malformed: %v", err), raw)
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return Location{}, fmt.Errorf("PostgreSQL URL %s names no host (e.g. postgres://postgres@127.0.0.1:5432/breakwater)", redactURL(raw))
	}
	if _, err := pgxpool.ParseConfig(raw); err != nil {
		reason := err
		for inner := errors.Unwrap(reason); inner != nil; inner = errors.Unwrap(inner) {
			reason = inner
		}
		return Location{}, scrub(fmt.Errorf("PostgreSQL URL %s: %v", redactURL(raw), reason), raw)
	}
	loc := Location{Backend: Postgres, DSN: raw}
	if sp := u.Query().Get("search_path"); sp != "" {
		if !identifier.MatchString(sp) {
			return Location{}, fmt.Errorf("PostgreSQL URL %s: search_path %q must be one plain schema name (letters, digits, _)", redactURL(raw), clip.Runes(sp, maxEcho))
		}
		loc.Schema = sp
	}
	return loc, nil
}

// secretParams are the query parameters libpq and pgx read a password
// from: postgres://u@h/db?password=… is as valid as u:…@h.
var secretParams = []string{"password", "sslpassword"}

// redactURL replaces the password of a URL, in its user part and in its
// query; an unparsable URL is not echoed at all.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		if strings.Contains(strings.ToLower(u.RawQuery), "password") {
			u.RawQuery = "xxxxx"
		}
		return u.Redacted()
	}
	changed := false
	for _, k := range secretParams {
		if _, ok := q[k]; ok {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// scrub removes the URL's password from err's text, in case a library
// repeated it. The URL may not parse, so every reading of where the
// password could end is removed, the longest first.
func scrub(err error, raw string) error {
	msg := err.Error()
	changed := false
	for _, pw := range passwordCandidates(raw) {
		if strings.Contains(msg, pw) {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return errors.New(msg)
}

// passwordCandidates are the texts between "//user:" and each later "@",
// longest first: without trusting the URL to parse, any of them may be the
// password.
func passwordCandidates(raw string) []string {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return nil
	}
	_, rest, ok = strings.Cut(rest, ":")
	if !ok {
		return nil
	}
	var out []string
	for at := strings.LastIndex(rest, "@"); at > 0; at = strings.LastIndex(rest[:at], "@") {
		out = append(out, rest[:at])
	}
	return append(out, queryPasswords(raw)...)
}

// queryPasswords are the values of the URL's password parameters, raw
// and decoded, read without trusting the URL to parse.
func queryPasswords(raw string) []string {
	_, query, ok := strings.Cut(raw, "?")
	if !ok {
		return nil
	}
	query, _, _ = strings.Cut(query, "#")
	var out []string
	for _, kv := range strings.Split(query, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || v == "" || !slices.Contains(secretParams, strings.ToLower(k)) {
			continue
		}
		out = append(out, v)
		if dec, err := url.QueryUnescape(v); err == nil && dec != v && dec != "" {
			out = append(out, dec)
		}
	}
	return out
}
