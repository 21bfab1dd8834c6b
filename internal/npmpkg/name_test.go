package npmpkg

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateName(t *testing.T) {
	long := "@acme/" + strings.Repeat("a", MaxNameLength-len("@acme/"))
	for _, tc := range []struct {
		name string
		want string // substring of the error; "" for a valid name
	}{
		{"left-pad", ""},
		{"@acme/vnext.account", ""},
		{"@acme/core_1-x", ""},
		{"@my~org/pkg", ""}, // special characters are refused in the last part only
		{long, ""},
		{long + "a", "more than npm's 214"},
		{"", "empty"},
		{".hidden", "cannot start with a period"},
		{"-dash", "cannot start with a hyphen"},
		{"_under", "cannot start with an underscore"},
		{" spaced", "leading or trailing spaces"},
		{"node_modules", "reserved"},
		{"favicon.ico", "reserved"},
		{"http", "core module"},
		{"fs/promises", "core module"},
		{"@acme/vNext.Account", "capital letters"},
		{"@Acme/core", "capital letters"},
		{"@acme/it's", "special character"},
		{"@acme/fun!", "special character"},
		{"@acme/.dot", "cannot start with a period after the scope"},
		{"a b", "URL-safe"},
		{"@acme/a b", "URL-safe"},
		{"@acme/a/b", "URL-safe"},
		{"@/pkg", "URL-safe"},
		{"@acme/", "URL-safe"},
		{"a@b", "URL-safe"},
		{"@acme/café", "URL-safe"},
	} {
		err := ValidateName(tc.name)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateName(%q) = %v, want valid", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidateName(%q) = %v, want an error about %q", tc.name, err, tc.want)
		}
	}
}

func TestValidateScopedName(t *testing.T) {
	if err := ValidateScopedName("@acme/core"); err != nil {
		t.Error(err)
	}
	if err := ValidateScopedName("core"); err == nil || !strings.Contains(err.Error(), "GitHub Packages") {
		t.Errorf("unscoped name: %v, want an error naming GitHub Packages", err)
	}
	if err := ValidateScopedName("@acme/Core"); err == nil {
		t.Error("upper case accepted")
	}
}

func TestName(t *testing.T) {
	for _, tc := range []struct{ owner, runtime, want, err string }{
		{"Acme", "vNext.Account", "@acme/vnext.account", ""},
		{"burgan-tech", "vnext-core", "@burgan-tech/vnext-core", ""},
		{"acme", "", "", "runtime package name is empty"},
		{"", "core", "", "owner (scope) is empty"},
		{"acme", "Order Intake", "", `runtime package "Order Intake" of owner "acme"`},
		{"acme", "a/b", "", "URL-safe"},
		{"acme", "_internal", "", ""}, // "_" is allowed after a scope
	} {
		got, err := Name(tc.owner, tc.runtime)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Name(%q, %q) = %q, %v; want an error about %q", tc.owner, tc.runtime, got, err, tc.err)
			}
			continue
		}
		if tc.want == "" {
			tc.want = "@" + tc.owner + "/" + tc.runtime
		}
		if err != nil || got != tc.want {
			t.Errorf("Name(%q, %q) = %q, %v; want %q", tc.owner, tc.runtime, got, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	got, err := Names("Acme", []string{"vNext.Account", "vNext.Payments", "vNext.Account"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vNext.Account": "@acme/vnext.account", "vNext.Payments": "@acme/vnext.payments"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Names (-want +got):\n%s", d)
	}

	_, err = Names("acme", []string{"vNext.Account", "Billing", "vnext.account"})
	if err == nil {
		t.Fatal("colliding runtime names accepted")
	}
	for _, part := range []string{`"vNext.Account"`, `"vnext.account"`, `"@acme/vnext.account"`, "lower-cased"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("collision error %q does not name %s", err, part)
		}
	}

	if _, err := Names("acme", []string{"ok", "not ok"}); err == nil {
		t.Error("an invalid runtime name accepted")
	}
}
