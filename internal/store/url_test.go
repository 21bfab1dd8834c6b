package store

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Location
	}{
		{"sqlite:breakwater.db", Location{Backend: SQLite, Path: "breakwater.db"}},
		{"sqlite:/var/lib/breakwater/bw.db", Location{Backend: SQLite, Path: "/var/lib/breakwater/bw.db"}},
		{"sqlite:///var/lib/bw.db", Location{Backend: SQLite, Path: "/var/lib/bw.db"}},
		{"sqlite://data/bw.db", Location{Backend: SQLite, Path: "data/bw.db"}},
		{"SQLite:with space.db", Location{Backend: SQLite, Path: "with space.db"}},
		{"postgres://bot@db.internal:5432/breakwater", Location{Backend: Postgres, DSN: "postgres://bot@db.internal:5432/breakwater"}},
		{"postgresql://bot:pw@db/breakwater?sslmode=require&search_path=bw", Location{Backend: Postgres, DSN: "postgresql://bot:pw@db/breakwater?sslmode=require&search_path=bw", Schema: "bw"}},
		{"postgres:///breakwater?host=/run/postgresql", Location{Backend: Postgres, DSN: "postgres:///breakwater?host=/run/postgresql"}},
	} {
		got, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseURL(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the part the error must name
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"breakwater.db", `"breakwater.db" has no scheme`},
		{"mysql://root@localhost/bw", `scheme "mysql" is not supported`},
		{"sqlite:", "no file path"},
		{"sqlite://", "no file path"},
		{"sqlite::memory:", "in-memory"},
		{"sqlite:file::memory:?cache=shared", "in-memory"},
		{"sqlite:bw.db?_pragma=journal_mode(DELETE)", `contains "?"`},
		{"sqlite:bw.db#x", `contains "#"`},
		{"sqlite:data/", "names a directory"},
		{"sqlite:a\x00b", "NUL"},
		{"postgres://bot@db:notaport/bw", "port"},
		{"postgres:///bw", "names no host"},
		{"postgres://bot@db/bw?search_path=a,b", `search_path "a,b" must be one plain schema`},
		{"postgres://bot@db/bw?sslmode=sometimes", "sslmode"},
		{"postgres://bot@db/bw?connect_timeout=soon", "connect_timeout"},
	} {
		_, err := ParseURL(tc.in)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted it", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseURL(%q) = %q, want it to name %q", tc.in, err, tc.want)
		}
	}
}

// TestParseURLNeverLeaksPassword: errors and String() hide the password,
// even when the URL does not parse.
func TestParseURLNeverLeaksPassword(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, in := range []string{
		"postgres://bot:" + pw + "@db:notaport/bw",
		"postgres://bot:" + pw + "@db/bw?sslmode=sometimes",
		"postgres://bot:" + pw + "@db/bw?search_path=a,b",
		"postgres://bot:" + pw + "@db:5432/bw?connect_timeout=x",
		"postgres://bot:" + pw + "@[::1/bw",
		"postgres://bot:" + pw + "@db/bw%zz",
		"postgres://bot:" + pw + "@db/bw?target_session_attrs=bogus",
		"postgres://bot@db/bw?password=" + pw + "&sslmode=sometimes",
		"postgres://bot@db/bw?sslpassword=" + pw + "&connect_timeout=x",
		"postgres://bot@db:notaport/bw?password=" + pw,
	} {
		_, err := ParseURL(in)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted it", in)
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("ParseURL(%q) leaks the password: %v", in, err)
		}
	}
	loc, err := ParseURL("postgres://bot:" + pw + "@db/bw")
	if err != nil {
		t.Fatal(err)
	}
	if s := loc.String(); strings.Contains(s, pw) || !strings.Contains(s, "bot:xxxxx@db") {
		t.Errorf("String() = %q, want the password redacted", s)
	}
	// libpq and pgx also take the password as a query parameter.
	for _, in := range []string{
		"postgres://bot@db/bw?sslmode=disable&password=" + pw,
		"postgres://bot@db/bw?sslpassword=" + pw,
		"postgres://bot:" + pw + "@db/bw?password=" + pw,
	} {
		loc, err := ParseURL(in)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", in, err)
		}
		if loc.DSN != in {
			t.Errorf("ParseURL(%q) changed the DSN to %q", in, loc.DSN)
		}
		if s := loc.String(); strings.Contains(s, pw) || !strings.Contains(s, "password=xxxxx") {
			t.Errorf("String() of %q = %q, want the password parameter redacted", in, s)
		}
	}
}

// FuzzParseURL: ParseURL never panics; what it accepts is usable (a
// backend with a path or DSN); errors never echo a password and are one
// line of valid UTF-8 a user can read.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"sqlite:breakwater.db", "sqlite:///abs/bw.db", "sqlite::memory:", "sqlite:a?b", "",
		"postgres://bot:pw@db:5432/bw?sslmode=disable&search_path=bw",
		"postgresql://u@h/d?host=/tmp", "postgres://u:p@[::1]:5432/d", "mysql://x", "postgres://u:p@h:x/d",
	} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, raw, password string) {
		check := func(in string, secret string) {
			loc, err := ParseURL(in)
			if err != nil {
				msg := err.Error()
				if secret != "" && len(secret) >= 4 && strings.Contains(msg, secret) && !strings.Contains(strings.ReplaceAll(in, secret, ""), secret) {
					t.Fatalf("error for %q leaks the password %q: %s", in, secret, msg)
				}
				if msg == "" {
					t.Fatalf("empty error for %q", in)
				}
				return
			}
			switch loc.Backend {
			case SQLite:
				if loc.Path == "" || strings.ContainsAny(loc.Path, "?#\x00") {
					t.Fatalf("ParseURL(%q) accepted SQLite path %q", in, loc.Path)
				}
			case Postgres:
				if loc.DSN != in {
					t.Fatalf("ParseURL(%q) changed the DSN to %q", in, loc.DSN)
				}
				if loc.Schema != "" && !identifier.MatchString(loc.Schema) {
					t.Fatalf("ParseURL(%q) accepted schema %q", in, loc.Schema)
				}
			default:
				t.Fatalf("ParseURL(%q) returned backend %q", in, loc.Backend)
			}
			_ = loc.String()
		}
		check(raw, "")
		// The same input as a PostgreSQL URL with a password in it.
		if utf8.ValidString(password) && !strings.ContainsAny(password, "@/?#:") {
			check("postgres://bot:"+password+"@"+raw, password)
		}
	})
}
