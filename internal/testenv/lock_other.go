//go:build !unix

package testenv

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// lockFile creates path exclusively, waiting while another process holds
// it; a lock older than the longest install is taken to be stale.
func lockFile(path string) (unlock func(), err error) {
	deadline := time.Now().Add(15 * time.Minute)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if st, serr := os.Stat(path); serr == nil && time.Since(st.ModTime()) > 15*time.Minute {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, errors.New("timed out waiting for " + path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
