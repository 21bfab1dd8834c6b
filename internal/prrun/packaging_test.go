package prrun_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/breakwater-dev/breakwater/internal/prrun"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/release"
)

// These tests keep the Action's packaging honest: action.yml, the VERSION
// file, the Dockerfile, the release workflow and the documentation must
// agree with each other and with the code.

const image = "ghcr.io/breakwater-dev/breakwater"

func readRoot(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(prruntest.ModuleRoot(), filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func version(t *testing.T) string {
	v := strings.TrimSpace(readRoot(t, "VERSION"))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(v) {
		t.Fatalf("VERSION %q is not SemVer", v)
	}
	return v
}

type actionYAML struct {
	Name   string `yaml:"name"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string   `yaml:"using"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) actionYAML {
	var a actionYAML
	if err := yaml.Unmarshal([]byte(readRoot(t, "action.yml")), &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

func TestActionImageIsThePrebuiltReleaseImage(t *testing.T) {
	a := loadAction(t)
	want := "docker://" + image + ":v" + version(t)
	if a.Runs.Using != "docker" || a.Runs.Image != want {
		t.Errorf("action.yml runs %s %q, want docker %q: the action must start the prebuilt image of this version, never build one", a.Runs.Using, a.Runs.Image, want)
	}
	if !cmp.Equal(a.Runs.Args, []string{"action"}) {
		t.Errorf("action.yml args = %q, want [action]", a.Runs.Args)
	}
}

func TestActionInputsAndOutputsMatchTheCode(t *testing.T) {
	a := loadAction(t)
	keys := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	gotIn := map[string]bool{}
	for name, in := range a.Inputs {
		gotIn[name] = true
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		// Inputs that override the configuration must default to empty, or
		// they would silently override it.
		if name != prrun.InputToken && name != prrun.InputCheckRun && (in.Default == nil || *in.Default != "") {
			t.Errorf("input %s must default to \"\"", name)
		}
	}
	if release.InputToken != prrun.InputToken || release.InputConfig != prrun.InputConfig {
		t.Error("the release side reads the token and config inputs under other names than the pull request run")
	}
	wantIn := map[string]bool{}
	for _, n := range []string{prrun.InputToken, prrun.InputConfig, prrun.InputPaths, prrun.InputFailOn, prrun.InputComment, prrun.InputLabelNames, prrun.InputCheckRun, prrun.InputIdentity,
		release.InputPackage, release.InputEnvironment, release.InputSigningKey} {
		wantIn[n] = true
	}
	if diff := cmp.Diff(keys(wantIn), keys(gotIn)); diff != "" {
		t.Errorf("action.yml inputs (-code +action.yml):\n%s", diff)
	}
	if d := a.Inputs[prrun.InputToken].Default; d == nil || *d != "${{ github.token }}" {
		t.Errorf("the token input defaults to %v, want ${{ github.token }}", d)
	}
	gotOut := map[string]bool{}
	for name := range a.Outputs {
		gotOut[name] = true
	}
	wantOut := map[string]bool{}
	for _, n := range []string{prrun.OutputBreaking, prrun.OutputRequiredBump, prrun.OutputDeclaredBump, prrun.OutputLabels, prrun.OutputReport, prrun.OutputFindings,
		release.OutputVersion, release.OutputPackage, release.OutputIntegrity, release.OutputBundleDigest, release.OutputPublished, release.OutputDeployed} {
		wantOut[n] = true
	}
	if diff := cmp.Diff(keys(wantOut), keys(gotOut)); diff != "" {
		t.Errorf("action.yml outputs (-code +action.yml):\n%s", diff)
	}
}

func TestDockerfileBuildsASmallStaticNonRootImage(t *testing.T) {
	df := readRoot(t, "Dockerfile")
	var stages []string
	var user, entrypoint string
	for _, line := range strings.Split(df, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			stages = append(stages, line)
			user, entrypoint = "", ""
		case "USER":
			user = fields[1]
		case "ENTRYPOINT":
			entrypoint = strings.Join(fields[1:], " ")
		}
	}
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile is not multi-stage: %q", stages)
	}
	if final := stages[len(stages)-1]; !strings.Contains(final, "scratch") && !strings.Contains(final, "distroless") {
		t.Errorf("the final stage %q is not shell-less (scratch or distroless)", final)
	}
	if uid, _, _ := strings.Cut(user, ":"); user == "" || uid == "0" || uid == "root" {
		t.Errorf("the final stage runs as %q, want a non-root user", user)
	}
	if !strings.HasPrefix(entrypoint, `["`) {
		t.Errorf("ENTRYPOINT %s is not the exec form (there is no shell)", entrypoint)
	}
	if !strings.Contains(df, "CGO_ENABLED=0") || !strings.Contains(df, "-X main.version=") {
		t.Error("the binary is not built static with its version stamped in")
	}
}

func TestReleaseWorkflowPushesTheActionImage(t *testing.T) {
	rel := readRoot(t, ".github/workflows/release.yml")
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(rel), &wf); err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(wf.On.Push.Tags, []string{"v*"}) {
		t.Errorf("release runs on tags %q, want v*", wf.On.Push.Tags)
	}
	var runs strings.Builder
	imageSeen := false
	for _, j := range wf.Jobs {
		imageSeen = imageSeen || j.Env["IMAGE"] == image
		for _, s := range j.Steps {
			runs.WriteString(s.Run)
		}
	}
	if !imageSeen {
		t.Errorf("the release job does not push %s", image)
	}
	for _, want := range []string{"cat VERSION", "--push", `--tag "$IMAGE:v$VERSION"`, "--build-arg \"VERSION=$VERSION\""} {
		if !strings.Contains(runs.String(), want) {
			t.Errorf("the release workflow does not %q", want)
		}
	}
}

func TestDocsPinTheCurrentVersion(t *testing.T) {
	doc := readRoot(t, "docs/action.md")
	uses := regexp.MustCompile(`uses: breakwater-dev/breakwater@(\S+)`).FindAllStringSubmatch(doc, -1)
	if len(uses) == 0 {
		t.Fatal("docs/action.md has no example using the action")
	}
	for _, u := range uses {
		if ref := u[1]; ref != "v"+version(t) && !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ref) {
			t.Errorf("docs/action.md uses the action at %s, want v%s (or a commit SHA)", ref, version(t))
		}
	}
	for _, perm := range []string{"contents: read", "pull-requests: write", "checks: write"} {
		if !strings.Contains(doc, perm) {
			t.Errorf("docs/action.md does not give the permission %q", perm)
		}
	}
	if anchor := strings.TrimPrefix(prrun.AppURL, "https://github.com/breakwater-dev/breakwater/blob/main/docs/action.md#"); !strings.Contains(doc, "### Pull requests from forks") || anchor != "pull-requests-from-forks" {
		t.Errorf("the fork notice links %s, which docs/action.md does not have", prrun.AppURL)
	}
	wf := readRoot(t, ".github/workflows/breakwater.yml")
	if !strings.Contains(wf, "uses: ./") || !strings.Contains(wf, "testdata/") {
		t.Error(".github/workflows/breakwater.yml does not run this repository's action on its testdata")
	}
}
