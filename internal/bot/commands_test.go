package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

// comment is the real issue_comment example, as user commenting body on
// the test pull request.
func (h *harness) comment(user, body string) []byte {
	ev := toRepo(example(h.t, "issue_comment", "created"))
	issue := obj(ev, "issue")
	issue["number"] = prNumber
	issue["pull_request"] = map[string]any{"url": "https://api.github.com/repos/" + owner + "/" + name + "/pulls/42"}
	c := obj(ev, "comment")
	c["body"] = body
	u := obj(c, "user")
	u["login"], u["type"] = user, "User"
	return encode(h.t, ev)
}

// run delivers a comment and waits for its job; it returns the write
// requests it caused and the replies.
func (h *harness) run(user, body string) (writes []githubtest.Request, replies []string) {
	h.t.Helper()
	h.github.ResetRequests()
	before := len(h.repo.Comments(prNumber))
	id := newID()
	h.deliver("issue_comment", id, h.comment(user, body))
	h.processed(id)
	for _, r := range h.github.Requests() {
		if r.Write() && r.Operation != "apps/create-installation-access-token" {
			writes = append(writes, r)
		}
	}
	for _, c := range h.repo.Comments(prNumber)[before:] {
		replies = append(replies, c.Body)
	}
	return writes, replies
}

func ops(rs []githubtest.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Operation)
	}
	return out
}

// TestCommands: /breakwater accept commits the record to the pull
// request's branch, keeping the configuration's comments, and the check
// passes on that commit; /breakwater plan answers; a user without write
// permission changes nothing — the polite refusal is the only write.
func TestCommands(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.URL(t), harnessOptions{})
			trayplantest.Seed(h.tray, solutionID, 300, 20)
			head := h.pr(false)
			id := newID()
			h.deliver("pull_request", id, h.prEvent("opened", head, false))
			h.processed(id)

			h.repo.SetPermission("stranger", "read")
			for _, cmd := range []string{"/breakwater accept all we do not care", "/breakwater plan", "/breakwater rollout pause"} {
				writes, replies := h.run("stranger", "Please do it.\n\n"+cmd+"\n")
				if len(writes) != 1 || writes[0].Operation != "issues/create-comment" || len(replies) != 1 || !strings.Contains(replies[0], "only people with write access") {
					t.Errorf("%s from a reader: writes %v, replies %q; want only the refusal", cmd, ops(writes), replies)
				}
			}
			if got, _ := h.repo.File(headBranch, ".github/breakwater.yml"); string(got) != configText || h.repo.Branch(headBranch) != head {
				t.Fatal("a refused command changed the branch")
			}

			_, replies := h.run("maintainer", "/breakwater frobnicate")
			if len(replies) != 1 || !strings.Contains(replies[0], "/breakwater accept") {
				t.Errorf("unknown command: replies %q", replies)
			}
			_, replies = h.run("maintainer", "/breakwater plan")
			if len(replies) != 1 || !strings.Contains(replies[0], "#issuecomment-") {
				t.Errorf("/breakwater plan: replies %q", replies)
			}
			_, replies = h.run("maintainer", "/breakwater accept 0123 nope")
			if len(replies) != 1 || !strings.Contains(replies[0], "is not a fingerprint") {
				t.Errorf("bad fingerprint: replies %q", replies)
			}

			writes, replies := h.run("maintainer", "/breakwater accept all owners were told: reconnect chat by June")
			pushes := h.repo.Pushes()
			if len(pushes) != 1 || pushes[0].Branch != headBranch || pushes[0].By != appSlug+"[bot]" || len(replies) != 1 || !strings.Contains(replies[0], "Accepted") {
				t.Fatalf("accept: writes %v, pushes %+v, replies %q", ops(writes), pushes, replies)
			}
			data, _ := h.repo.File(headBranch, ".github/breakwater.yml")
			cfg, err := config.Parse(".github/breakwater.yml", data)
			if err != nil {
				t.Fatalf("the committed configuration does not parse: %v\n%s", err, data)
			}
			if !strings.HasPrefix(string(data), configText) {
				t.Errorf("the configuration's text was not kept:\n%s", data)
			}
			if len(cfg.Accepted) < 3 || cfg.Accepted[1].By != "maintainer" || cfg.Accepted[1].Reason != "owners were told: reconnect chat by June" {
				t.Errorf("accepted = %+v", cfg.Accepted)
			}
			acc, err := h.store.Acceptances(context.Background(), owner+"/"+name)
			if err != nil || len(acc) != len(cfg.Accepted)-1 {
				t.Errorf("store: %d acceptances (%v), want %d", len(acc), err, len(cfg.Accepted)-1)
			}

			// GitHub sends synchronize for the bot's push: the check passes.
			newHead := h.repo.Branch(headBranch)
			id = newID()
			h.deliver("pull_request", id, h.prEvent("synchronize", newHead, false))
			h.processed(id)
			var conclusion string
			for _, r := range h.repo.CheckRuns() {
				if r.HeadSHA == newHead {
					conclusion = r.Conclusion
				}
			}
			if conclusion != "success" {
				t.Errorf("check run on the commit with the acceptance: %q, want success", conclusion)
			}
			_, replies = h.run("maintainer", "/breakwater accept all again")
			if len(replies) != 1 || !strings.Contains(replies[0], "already") || len(h.repo.Pushes()) != 1 {
				t.Errorf("accepting again: replies %q, %d pushes", replies, len(h.repo.Pushes()))
			}
		})
	}
}

// TestAcceptOnAFork: the app cannot push to a fork, so the reply shows the
// entries to add and nothing is pushed.
func TestAcceptOnAFork(t *testing.T) {
	h := newHarness(t, storetest.SQLiteURL(t), harnessOptions{})
	h.pr(true)
	writes, replies := h.run("maintainer", "/breakwater accept all intended")
	if len(h.repo.Pushes()) != 0 || len(replies) != 1 || !strings.Contains(replies[0], "```yaml\naccepted:\n  - fingerprint: ") {
		t.Errorf("writes %v, replies %q", ops(writes), replies)
	}
}

func TestParseCommand(t *testing.T) {
	for body, want := range map[string]string{
		"/breakwater plan":                           "plan||",
		"hi\n  /breakwater accept ABC  the reason  ": "accept|ABC,the,reason|ABC  the reason",
		"```\n/breakwater plan\n```\nnothing":        "",
		"/breakwaterish plan":                        "",
		"> /breakwater plan":                         "",
		"/breakwater\tPLAN":                          "plan||",
		"/breakwater accept\tabc\u00a0why":           "accept|abc,why|abc why",
	} {
		n, args, rest, ok := bot.ParseCommand(body)
		got := ""
		if ok {
			got = n + "|" + strings.Join(args, ",") + "|" + rest
		}
		if got != want {
			t.Errorf("ParseCommand(%q) = %q, want %q", body, got, want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("/breakwater accept 0123456789abcdef reason\nmore")
	f.Add("```\n/breakwater plan")
	f.Fuzz(func(t *testing.T, body string) {
		name, args, rest, ok := bot.ParseCommand(body)
		if !ok {
			return
		}
		if strings.ContainsAny(rest, "\n\r") || strings.ContainsAny(name, " \n") {
			t.Fatalf("ParseCommand(%q) = %q %q %q", body, name, args, rest)
		}
		if len(args) > 0 && !strings.HasPrefix(rest, args[0]) {
			t.Fatalf("rest %q does not start with the first argument %q", rest, args[0])
		}
	})
}
