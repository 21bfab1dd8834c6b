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
