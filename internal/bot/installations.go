package bot

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// onInstallation records which installation covers which repositories
// (installation and installation_repositories events), so that work not
// started by a webhook (a rollout) finds the client of a repository.
func (b *Bot) onInstallation(ctx context.Context, ev Event) error {
	ie, err := githubapi.ParseInstallationEvent(ev.Name, ev.Payload)
	if err != nil {
		return river.JobCancel(err)
	}
	st := b.Store()
	repos := func(rs []githubapi.InstalledRepo) []store.Repo {
		out := make([]store.Repo, 0, len(rs))
		for _, r := range rs {
			if r.ID > 0 && r.FullName != "" {
				out = append(out, store.Repo{ID: r.ID, FullName: r.FullName})
			}
		}
		return out
	}
	in := store.Installation{ID: ie.InstallationID, Account: ie.Account, AccountType: ie.AccountType, Suspended: ie.Suspended}
	switch ev.Name + "." + ie.Action {
	case "installation.deleted":
		return st.DeleteInstallation(ctx, ie.InstallationID)
	case "installation.created":
		in.Repos = repos(ie.Repositories)
		return st.PutInstallation(ctx, in)
	case "installation.suspend":
		in.Suspended = true
		return st.PutInstallation(ctx, in)
	case "installation.unsuspend":
		in.Suspended = false
		return st.PutInstallation(ctx, in)
	case "installation.new_permissions_accepted":
		return st.PutInstallation(ctx, in)
	case "installation_repositories.added":
		return st.AddInstallationRepos(ctx, ie.InstallationID, repos(ie.Repositories))
	case "installation_repositories.removed":
		ids := make([]int64, 0, len(ie.Removed))
		for _, r := range ie.Removed {
			ids = append(ids, r.ID)
		}
		return st.RemoveInstallationRepos(ctx, ie.InstallationID, ids)
	}
	return nil
}
