package githubapi_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// untar reads a source archive: its entries' names and the files' content.
func untar(r io.Reader) (names []string, files map[string]string, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, nil, err
	}
	tr := tar.NewReader(zr)
	files = map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files, nil
		}
		if err != nil {
			return nil, nil, err
		}
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				return nil, nil, err
			}
			files[h.Name] = string(data)
		}
	}
}

func TestTarball(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	var names []string
	var files map[string]string
	err := fx.client.Tarball(ctx, fx.r, fx.head, func(r io.Reader) error {
		var err error
		names, files, err = untar(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "octo-exports-" + fx.head[:7] + "/"
	want := []string{"pax_global_header", prefix, prefix + "a.json", prefix + "dir/", prefix + "dir/b.json", prefix + "dir/c d.json", prefix + "new.json"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if files[prefix+"a.json"] != `{"a":2}` {
		t.Errorf("files = %v", files)
	}
	// One API request, answered with the redirect; one download.
	reqs := fx.fake.Requests()
	if len(reqs) != 1 || reqs[0].Operation != "repos/download-tarball-archive" || len(fx.fake.Downloads()) != 1 {
		t.Errorf("requests %+v, downloads %v", reqs, fx.fake.Downloads())
	}
	if rate, ok := fx.client.RateLimit(); !ok || rate.Limit != 5000 || rate.Remaining != 4999 || rate.Resource != "core" || rate.Reset.Before(time.Now()) {
		t.Errorf("rate = %+v, %v", rate, ok)
	}

	// A read error of the caller's own is not retried.
	mine := errors.New("not an archive I want")
	if err := fx.client.Tarball(ctx, fx.r, fx.head, func(io.Reader) error { return mine }); !errors.Is(err, mine) || len(fx.fake.Downloads()) != 2 {
		t.Errorf("err = %v after %d downloads", err, len(fx.fake.Downloads()))
	}

	// A download that breaks off is started over, reading from the start.
	fx.fake.BreakDownloads(1)
	attempts := 0
	err = fx.client.Tarball(ctx, fx.r, fx.head, func(r io.Reader) error {
		attempts++
		_, files, err = untar(r)
		return err
	})
	if err != nil || attempts != 2 || files[prefix+"a.json"] != `{"a":2}` || len(fx.sleeps.got()) != 1 {
		t.Errorf("after a broken download: err %v, %d attempts, %d waits", err, attempts, len(fx.sleeps.got()))
	}

	// An unknown commit is GitHub's 404, not retried.
	err = fx.client.Tarball(ctx, fx.r, strings.Repeat("0", 40), func(io.Reader) error { return nil })
	if !githubapi.IsNotFound(err) || !strings.Contains(err.Error(), "download the source archive of octo/exports at 0000000") {
		t.Errorf("err = %v", err)
	}
}

// Running out of the primary rate limit is an error that names when it
// resets, without a wait longer than the policy allows.
func TestRateLimitExhausted(t *testing.T) {
	fx := newFixture(t)
	reset := time.Now().Add(42 * time.Minute)
	fx.fake.SetRateLimit(1000, 1, reset)
	ctx := context.Background()
	if _, err := fx.client.PullRequest(ctx, fx.r, 7); err != nil {
		t.Fatal(err)
	}
	if rate, ok := fx.client.RateLimit(); !ok || rate.Remaining != 0 || rate.Limit != 1000 || !rate.Reset.Equal(reset.Truncate(time.Second).UTC()) {
		t.Errorf("rate = %+v", rate)
	}
	_, err := fx.client.PullRequest(ctx, fx.r, 7)
	want := "the rate limit resets at " + reset.UTC().Format(time.DateTime) + " UTC"
	if githubapi.StatusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "not retrying") {
		t.Errorf("err = %v, want a 403 naming %q", err, want)
	}
}
