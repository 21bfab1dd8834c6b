package breakwater

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

func TestVersionFile(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(VersionFile()) {
		t.Errorf("VERSION is %q, want MAJOR.MINOR.PATCH", VersionFile())
	}
}

// go.mod says what the code imports: `go mod tidy` changes nothing (direct
// requirements are not marked indirect, nothing is missing or left over).
func TestGoModIsTidy(t *testing.T) {
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go mod tidy would change go.mod or go.sum: %v\n%s", err, out)
	}
}
