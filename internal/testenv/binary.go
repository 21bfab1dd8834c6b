package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BuildBreakwater builds cmd/breakwater into a new temporary directory for
// the tests that run the real binary (exit codes, SIGKILL, the Action's
// environment). ldflags may be empty. remove deletes the directory; call
// it when the test binary ends (TestMain).
func BuildBreakwater(ldflags string) (binary string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "breakwater-bin")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	binary = filepath.Join(dir, "breakwater")
	args := []string{"build", "-o", binary}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	// By import path: the build works from any package directory of the module.
	cmd := exec.Command("go", append(args, "github.com/breakwater-dev/breakwater/cmd/breakwater")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		remove()
		return "", nil, fmt.Errorf("building breakwater: %v\n%s", err, out)
	}
	return binary, remove, nil
}

// RunWithBreakwater is a TestMain's body for tests of the real binary:
// it builds it into *binary, runs the tests and removes it again.
//
//	func TestMain(m *testing.M) { os.Exit(testenv.RunWithBreakwater(m, "", &binary)) }
func RunWithBreakwater(m *testing.M, ldflags string, binary *string) int {
	b, remove, err := BuildBreakwater(ldflags)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer remove()
	*binary = b
	return m.Run()
}
