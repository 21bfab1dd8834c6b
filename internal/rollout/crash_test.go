package rollout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// The crash tests run the real binary's rollout commands as processes and
// kill them with SIGKILL at random points of a rollout: mid-planning, and
// with upgrades in flight at the fake Tray. The call log then says whether
// any instance was upgraded twice or never.

// binary is the real breakwater, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBreakwater(m, "", &binary))
}

// crashRig is a fake Tray, a database and how to run the commands on them.
type crashRig struct {
	t    *testing.T
	tray *traytest.Server
	url  string
	bin  string
}

func (c *crashRig) args(cmd ...string) []string {
	cmd = append(cmd, "--database", c.url, "--tray-url", c.tray.GraphQLURL(), "--solution-id", "sol", "--value", "region="+regionValue)
	if cmd[1] != "work" { // a worker works every package's rollouts
		cmd = append(cmd, "--package", "crm-sync")
	}
	return cmd
}

// proc is a running command.
type proc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{}
}

func (c *crashRig) start(name string, cmd ...string) *proc {
	c.t.Helper()
	p := &proc{cmd: exec.Command(c.bin, c.args(cmd...)...), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "BREAKWATER_TRAY_TOKEN="+c.tray.MasterToken())
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		p.cmd.Wait() //nolint:errcheck // the exit status is read from ProcessState
		close(p.done)
	}()
	c.t.Cleanup(func() {
		p.cmd.Process.Kill() //nolint:errcheck // dead already in the normal case
		<-p.done
		if c.t.Failed() {
			c.t.Logf("%s stderr:\n%s", name, p.stderr)
		}
	})
	return p
}

// kill kills p with SIGKILL and checks that it died of it.
func (c *crashRig) kill(p *proc) {
	c.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	<-p.done
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		c.t.Fatalf("the process did not die of SIGKILL: %v\n%s", p.cmd.ProcessState, p.stderr)
	}
}

// wait waits for p to exit 0.
func (c *crashRig) wait(p *proc, limit time.Duration) {
	c.t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		c.t.Fatalf("still running after %s:\n%s", limit, p.stderr)
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		c.t.Fatalf("exit code %d:\n%s", code, p.stderr)
	}
}

// waitCalls waits until the fake has handled n calls of op, or p exits.
func (c *crashRig) waitCalls(p *proc, op string, n int, limit time.Duration) bool {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for c.tray.CallCount(op) < n {
		select {
		case <-p.done:
			return false
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d %s calls after %s, waiting for %d:\n%s", c.tray.CallCount(op), op, limit, n, p.stderr)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// worker starts a rollout worker with short leases and heartbeats, so
// that a dead one is replaced within seconds.
func (c *crashRig) worker(name string, extra ...string) *proc {
	return c.start(name, append([]string{"rollout", "work", "--lease", "3s", "--heartbeat", "1s", "--slice", "1s",
		"--rate-limit", "2000", "--burst", "100", "--concurrency", "8"}, extra...)...)
}

func newCrashRig(t *testing.T, url string, instances int) (*crashRig, map[string]expectation) {
	s := traytest.New(t, traytest.Config{Unlimited: true, Latency: 10 * time.Millisecond})
	ids := s.Generate("sol", instances, traytest.GenerateOptions{Quirks: true})
	want := expectations(s, ids)
	c := &crashRig{t: t, tray: s, url: url, bin: binary}
	recordVersion(t, url)
	return c, want
}

// recordVersion records crm-sync 2.0.0 with the change record of the
// fake's solution, as the release path does.
func recordVersion(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var findings []map[string]any
	for _, f := range solutionFindings() {
		findings = append(findings, map[string]any{"rule": f.Rule, "upgrade": f.Upgrade, "message": f.Rule,
			"slot": map[string]any{"kind": f.Slot.Kind, "externalId": f.Slot.ExternalID, "change": f.Slot.Change,
				"hidden": f.Slot.Hidden, "required": f.Slot.Required, "hasDefault": f.Slot.HasDefault}})
	}
	rec, _ := json.Marshal(map[string]any{"breaking": true, "findings": findings})
	if err := st.RecordVersion(ctx, store.Version{Package: "crm-sync", Version: "2.0.0", ChangeRecord: rec}); err != nil {
		t.Fatal(err)
	}
}

// rolloutOf reads the rollout's ID from the store.
func rolloutOf(t *testing.T, url string) (*store.Store, int64) {
	t.Helper()
	st, err := store.Open(context.Background(), url, store.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := st.FindRollout(context.Background(), "crm-sync", "2.0.0", "production")
	if err != nil {
		t.Fatal(err)
	}
	return st, r.ID
}

// TestCrashAnywhereUpgradesEachInstanceOnce: the planning process and
// then worker after worker are killed with SIGKILL at random points (with
// upgrades in flight: some executed, their answers lost); a last worker
// finishes. Every instance was upgraded exactly once, or never when it
// did not need the bot, and ends in its state.
func TestCrashAnywhereUpgradesEachInstanceOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes for a minute")
	}
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			const instances, kills = 2400, 8
			c, want := newCrashRig(t, b.URL(t), instances)
			seed := uint64(time.Now().UnixNano())
			rng := rand.New(rand.NewPCG(seed, 42))
			t.Logf("seed %d", seed)

			// Killed while listing the instances (24 pages); planned again.
			p := c.start("rollout start (killed)", "rollout", "start", "2.0.0")
			if c.waitCalls(p, traytest.OpSolutionInstances, 2+rng.IntN(15), time.Minute) {
				c.kill(p)
			}
			c.wait(c.start("rollout start", "rollout", "start", "2.0.0"), time.Minute)

			toUpgrade := countUpgrades(want)
			for k := range kills {
				w := c.worker(fmt.Sprintf("worker %d (killed)", k+1))
				// A random point in the share of the work this worker gets.
				share := toUpgrade / (kills + 2)
				at := c.tray.CallCount(traytest.OpUpgrade) + 1 + rng.IntN(max(1, share))
				if !c.waitCalls(w, traytest.OpUpgrade, at, 2*time.Minute) {
					t.Fatalf("worker %d exited before being killed:\n%s", k+1, w.stderr)
				}
				c.kill(w)
			}
			c.wait(c.worker("last worker", "--exit-when-done"), 3*time.Minute)

			st, id := rolloutOf(t, c.url)
			checkOutcome(t, c.tray, st, id, want)
			rereads := 0
			for _, call := range c.tray.Calls() {
				if call.Op == traytest.OpUpgrade && call.NoOp {
					t.Errorf("instance %s was sent an upgrade it already had", call.InstanceID)
				}
				if call.Op == traytest.OpSolutionInstances && call.First == 1 {
					rereads++
				}
			}
			// The kills left upgrades done but not recorded: their instances
			// were read again and found upgraded, not upgraded again.
			found := foundUpgraded(t, st, id)
			if found == 0 {
				t.Errorf("no kill left an upgrade unrecorded (%d instances read again): the crash path was not exercised", rereads)
			}
			t.Logf("%d instances, %d upgraded; %d upgrade calls in all after %d kills; %d instances read again, %d of them found upgraded",
				instances, toUpgrade, c.tray.CallCount(traytest.OpUpgrade), kills+1, rereads, found)
		})
	}
}

// foundUpgraded counts the instances recorded done because a re-read
// found them upgraded by an attempt whose outcome was lost.
func foundUpgraded(t *testing.T, st *store.Store, id int64) int {
	t.Helper()
	n := 0
	for _, state := range []store.InstanceState{store.StateUpgraded, store.StateNeedsUser} {
		ins, err := st.Instances(context.Background(), id, state, "", 100000)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			if strings.HasPrefix(in.Message, "on the newest version when read again") {
				n++
			}
		}
	}
	return n
}

// TestReplicaKilledMidRollout: two workers share a PostgreSQL store; one
// is killed mid-rollout, a new one joins, then the other is killed; the
// rollout finishes with every instance upgraded once.
func TestReplicaKilledMidRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	c, want := newCrashRig(t, storetest.PostgresURL(t), 1600)
	c.wait(c.start("rollout start", "rollout", "start", "2.0.0"), time.Minute)
	toUpgrade := countUpgrades(want)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	a := c.worker("replica a (killed)")
	b := c.worker("replica b (killed)")
	c.waitCalls(a, traytest.OpUpgrade, toUpgrade/5+rng.IntN(toUpgrade/5), 2*time.Minute)
	c.kill(a)
	a2 := c.worker("replica a2", "--exit-when-done")
	c.waitCalls(b, traytest.OpUpgrade, 3*toUpgrade/5+rng.IntN(toUpgrade/5), 2*time.Minute)
	c.kill(b)
	c.wait(a2, 3*time.Minute)
	st, id := rolloutOf(t, c.url)
	checkOutcome(t, c.tray, st, id, want)
}
