package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Installation is a GitHub App installation and the repositories it
// covers.
type Installation struct {
	ID          int64
	Account     string // login of the user or organization
	AccountType string // "User" or "Organization"
	Suspended   bool
	// Repos: given to PutInstallation, replaces the stored set unless nil.
	Repos     []Repo
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Repo is a repository an installation covers.
type Repo struct {
	ID       int64
	FullName string // owner/name
}

func validRepos(repos []Repo) error {
	for _, r := range repos {
		if r.ID <= 0 || !strings.Contains(r.FullName, "/") {
			return fmt.Errorf("repository %d %q needs an ID and an owner/name: %w", r.ID, r.FullName, ErrInvalid)
		}
	}
	return nil
}

// PutInstallation creates or updates an installation (installation
// created, suspend, unsuspend, new_permissions_accepted events).
func (s *Store) PutInstallation(ctx context.Context, in Installation) error {
	if in.ID <= 0 {
		return fmt.Errorf("put installation: ID %d: %w", in.ID, ErrInvalid)
	}
	if err := validRepos(in.Repos); err != nil {
		return fmt.Errorf("put installation %d: %w", in.ID, err)
	}
	now := s.stamp(time.Time{})
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if _, err := q.exec(ctx, `INSERT INTO installations (id, account, account_type, suspended, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (id) DO UPDATE SET account = excluded.account, account_type = excluded.account_type,
				suspended = excluded.suspended, updated_at = excluded.updated_at`,
			in.ID, in.Account, in.AccountType, in.Suspended, now); err != nil {
			return err
		}
		if in.Repos == nil {
			return nil
		}
		if _, err := q.exec(ctx, `DELETE FROM installation_repositories WHERE installation_id = $1`, in.ID); err != nil {
			return err
		}
		return insertRepos(ctx, q, in.ID, in.Repos)
	})
	if err != nil {
		return fmt.Errorf("put installation %d: %w", in.ID, err)
	}
	return nil
}

func insertRepos(ctx context.Context, q querier, installationID int64, repos []Repo) error {
	for _, r := range repos {
		if _, err := q.exec(ctx, `INSERT INTO installation_repositories (installation_id, repo_id, full_name) VALUES ($1, $2, $3)
			ON CONFLICT (installation_id, repo_id) DO UPDATE SET full_name = excluded.full_name`,
			installationID, r.ID, r.FullName); err != nil {
			return err
		}
	}
	return nil
}

// AddInstallationRepos adds repositories (installation_repositories
// added). An installation not seen yet is created bare, since events can
// arrive out of order.
func (s *Store) AddInstallationRepos(ctx context.Context, installationID int64, repos []Repo) error {
	if err := validRepos(repos); err != nil {
		return fmt.Errorf("add repositories to installation %d: %w", installationID, err)
	}
	now := s.stamp(time.Time{})
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if _, err := q.exec(ctx, `INSERT INTO installations (id, created_at, updated_at) VALUES ($1, $2, $2)
			ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`, installationID, now); err != nil {
			return err
		}
		return insertRepos(ctx, q, installationID, repos)
	})
	if err != nil {
		return fmt.Errorf("add repositories to installation %d: %w", installationID, err)
	}
	return nil
}

// RemoveInstallationRepos removes repositories (installation_repositories
// removed).
func (s *Store) RemoveInstallationRepos(ctx context.Context, installationID int64, repoIDs []int64) error {
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		for _, id := range repoIDs {
			if _, err := q.exec(ctx, `DELETE FROM installation_repositories WHERE installation_id = $1 AND repo_id = $2`, installationID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove repositories from installation %d: %w", installationID, err)
	}
	return nil
}

// DeleteInstallation forgets an installation and its repositories
// (installation deleted). Deleting an unknown one is not an error.
func (s *Store) DeleteInstallation(ctx context.Context, id int64) error {
	if _, err := s.db.exec(ctx, `DELETE FROM installations WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete installation %d: %w", id, err)
	}
	return nil
}

// Installation returns an installation with its repositories, sorted by
// full name.
func (s *Store) Installation(ctx context.Context, id int64) (Installation, error) {
	in := Installation{ID: id, Repos: []Repo{}}
	err := s.db.queryRow(ctx, `SELECT account, account_type, suspended, created_at, updated_at FROM installations WHERE id = $1`, id).
		Scan(&in.Account, &in.AccountType, &in.Suspended, &in.CreatedAt, &in.UpdatedAt)
	if err != nil {
		return Installation{}, fmt.Errorf("installation %d: %w", id, err)
	}
	rs, err := s.db.query(ctx, `SELECT repo_id, full_name FROM installation_repositories WHERE installation_id = $1 ORDER BY lower(full_name), repo_id`, id)
	if err != nil {
		return Installation{}, fmt.Errorf("installation %d: %w", id, err)
	}
	defer rs.Close()
	for rs.Next() {
		var r Repo
		if err := rs.Scan(&r.ID, &r.FullName); err != nil {
			return Installation{}, fmt.Errorf("installation %d: %w", id, err)
		}
		in.Repos = append(in.Repos, r)
	}
	if err := rs.Err(); err != nil {
		return Installation{}, fmt.Errorf("installation %d: %w", id, err)
	}
	return in, nil
}

// InstallationForRepo returns the installation covering a repository
// (owner/name, case-insensitive); ErrNotFound when none does.
func (s *Store) InstallationForRepo(ctx context.Context, fullName string) (int64, error) {
	var id int64
	err := s.db.queryRow(ctx, `SELECT r.installation_id FROM installation_repositories r
		JOIN installations i ON i.id = r.installation_id
		WHERE lower(r.full_name) = lower($1) AND NOT i.suspended
		ORDER BY r.installation_id LIMIT 1`, fullName).Scan(&id)
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("no active installation covers %s: %w", fullName, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("installation for %s: %w", fullName, err)
	}
	return id, nil
}
