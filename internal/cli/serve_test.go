package cli_test

import (
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/bot"
)

// TestServeRefusesToStartWithout: serve names the variable that is missing
// or wrong, and never prints a secret.
func TestServeRefusesToStartWithout(t *testing.T) {
	const key = "-----BEGIN RSA PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END RSA PRIVATE KEY-----\n"
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{bot.EnvAppID: "1", bot.EnvPrivateKey: key}, bot.EnvWebhookSecret},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvPrivateKey: key}, bot.EnvAppID},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvAppID: "one", bot.EnvPrivateKey: key}, bot.EnvAppID},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvAppID: "1"}, bot.EnvPrivateKey},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvAppID: "1", bot.EnvPrivateKey: key, bot.EnvPrivateKeyFile: "k.pem"}, "not both"},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvAppID: "1", bot.EnvPrivateKey: key}, "private key"},
		{map[string]string{bot.EnvWebhookSecret: "s3cr3t-value", bot.EnvAppID: "1", bot.EnvPrivateKeyFile: "missing.pem"}, bot.EnvPrivateKeyFile},
	} {
		r := runWith(t, tc.vars, "serve")
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 naming %q", keys(tc.vars), r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr+r.stdout, "s3cr3t") || strings.Contains(r.stderr+r.stdout, "SECRETKEY") {
			t.Errorf("%v: a secret was printed: %s", keys(tc.vars), r.stderr)
		}
	}
	help := runWith(t, nil, "serve", "--help")
	for _, name := range []string{"--addr", "--database", bot.EnvWebhookSecret, bot.EnvAppID, bot.EnvPrivateKey, bot.EnvPrivateKeyFile, bot.EnvGitHubAPIURL, bot.EnvDatabaseURL, bot.EnvAddr, bot.EnvTrayToken} {
		if !strings.Contains(help.stdout, name) {
			t.Errorf("serve --help does not document %s", name)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Each command's help shows only the flags it reads, and says what it does.
func TestHelpShowsOwnFlagsAndTruth(t *testing.T) {
	tests := []struct {
		args          []string
		want, notWant []string
	}{
		{[]string{"versions", "list", "--help"}, []string{"\n  --package name\n", "\n  --solution-id ID\n"}, []string{"--as-owner", "--concurrency"}},
		{[]string{"versions", "get", "--help"}, []string{"\n  --package name\n"}, []string{"--as-owner", "--concurrency"}},
		{[]string{"versions", "retire", "--help"}, []string{"\n  --solution-id ID\n"}, []string{"--as-owner", "--concurrency"}},
		{[]string{"rollout", "work", "--help"}, []string{"\n  --concurrency N\n", "\n  --environment name\n"}, []string{"--package"}},
		{[]string{"rollout", "start", "--help"}, []string{"\n  --package name\n", "\n  --concurrency N\n"}, nil},
		{[]string{"action", "--help"}, []string{"git checkout", "one archive per side through the GitHub API"}, []string{"merge base through the GitHub API"}},
	}
	for _, tt := range tests {
		r := run(t, "", tt.args...)
		if r.code != 0 {
			t.Fatalf("%q: exit %d, stderr %q", tt.args, r.code, r.stderr)
		}
		text := strings.Join(strings.Fields(r.stdout), " ")
		for _, w := range tt.want {
			if !strings.Contains(r.stdout, w) && !strings.Contains(text, w) {
				t.Errorf("%q does not show %q:\n%s", tt.args, w, r.stdout)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(text, w) {
				t.Errorf("%q shows %q:\n%s", tt.args, w, r.stdout)
			}
		}
	}
}

// serve --help lists every environment variable in one aligned list.
func TestServeHelpEnvironmentAligned(t *testing.T) {
	r := run(t, "", "serve", "--help")
	_, list, ok := strings.Cut(r.stdout, "\nEnvironment (")
	if !ok {
		t.Fatalf("serve --help has no environment list:\n%s", r.stdout)
	}
	list, rest, _ := strings.Cut(list, "\n\n")
	lines := strings.Split(list, "\n")[1:]
	col := strings.Index(lines[0], "  the") + 2
	names := map[string]bool{}
	for _, l := range lines {
		if len(l) <= col || strings.TrimSpace(l[:col]) != strings.TrimSpace(l[:col-2]) || l[col] == ' ' {
			t.Errorf("misaligned (descriptions start at column %d): %q", col, l)
		}
		if name := strings.TrimSpace(l[:min(col, len(l))]); name != "" {
			names[name] = true
		}
	}
	for _, v := range []string{"BREAKWATER_ROLLOUT_VALUES", "BREAKWATER_API_TOKEN", "BREAKWATER_ADDR", "BREAKWATER_DATABASE_URL"} {
		if !names[v] {
			t.Errorf("%s is not in the environment list:\n%s", v, list)
		}
	}
	if strings.Contains(rest, "  BREAKWATER_") {
		t.Errorf("an environment variable is listed after the list:\n%s", rest)
	}
}
