package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// The crash tests re-execute this test binary as a helper process that
// works on the store until it is killed with SIGKILL.
const (
	helperEnv    = "BREAKWATER_STORE_HELPER"     // which helper to run
	helperURLEnv = "BREAKWATER_STORE_HELPER_URL" // the database
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "record":
		os.Exit(helperRecord(os.Getenv(helperURLEnv)))
	case "work":
		os.Exit(helperWork(os.Getenv(helperURLEnv)))
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperRecord records deliveries from 4 goroutines, printing "recorded
// ID JOBID" once each RecordDelivery has returned (the moment the bot
// acknowledges), until it is killed.
func helperRecord(url string) int {
	ctx := context.Background()
	s, err := Open(ctx, url, Options{Logger: testLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("crash-%d-%d", g, i)
				rec, err := s.RecordDelivery(ctx, Delivery{ID: id, Event: "pull_request", Action: "opened",
					Payload: []byte(`{"action":"opened","number":` + strconv.Itoa(i) + `}`)}, Job{Args: workArgs{Key: id}})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Printf("recorded %s %d\n", id, rec.Job.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return 0
}

// helperWork works test jobs with a worker that announces the job and then
// hangs, so the process dies with the job running.
func helperWork(url string) int {
	ctx := context.Background()
	started := make(chan string, 1)
	s, err := Open(ctx, url, Options{Logger: testLogger(), River: workerConfig(&workWorker{client: "doomed", log: newWorkLog(), started: started, block: true})})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("working %s\n", <-started)
	select {} // until SIGKILL
}

// startHelper runs the helper and returns its stdout lines as they come.
func startHelper(t *testing.T, helper, url string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+helper, helperURLEnv+"="+url)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // already dead in the normal case
		cmd.Wait()         //nolint:errcheck // killed on purpose
	})
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v", err)
	}
}

// TestCrashLosesNoDelivery: a process killed with SIGKILL while recording
// deliveries loses none that it acknowledged, and leaves no delivery
// without its job.
func TestCrashLosesNoDelivery(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			cmd, lines := startHelper(t, "record", url)
			acked := map[string]int64{}
			timeout := time.After(60 * time.Second)
			for len(acked) < 200 {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatalf("helper ended after %d deliveries", len(acked))
					}
					var id string
					var job int64
					if _, err := fmt.Sscanf(line, "recorded %s %d", &id, &job); err != nil {
						t.Fatalf("helper said %q: %v", line, err)
					}
					acked[id] = job
				case <-timeout:
					t.Fatalf("helper acknowledged only %d deliveries in 60s", len(acked))
				}
			}
			kill(t, cmd) // mid-write: the goroutines never stop recording
			for line := range lines {
				var id string
				var job int64
				if _, err := fmt.Sscanf(line, "recorded %s %d", &id, &job); err == nil {
					acked[id] = job
				}
			}

			s := open(t, url, Options{})
			ctx := context.Background()
			for id, job := range acked {
				d, err := s.Delivery(ctx, id)
				if err != nil {
					t.Errorf("acknowledged delivery %s lost: %v", id, err)
					continue
				}
				if d.JobID != job {
					t.Errorf("delivery %s has job %d, acknowledged with %d", id, d.JobID, job)
				}
			}
			stored := count(t, s, `SELECT count(*) FROM webhook_deliveries`)
			if stored < len(acked) {
				t.Fatalf("%d deliveries stored, %d acknowledged", stored, len(acked))
			}
			// Atomicity: every stored delivery has its job and every job its delivery.
			jobs := jobsOfKind(t, s)
			if len(jobs) != stored {
				t.Fatalf("%d deliveries but %d jobs", stored, len(jobs))
			}
			if n := count(t, s, `SELECT count(*) FROM webhook_deliveries WHERE job_id IS NULL`); n != 0 {
				t.Fatalf("%d deliveries without a job", n)
			}
			for _, j := range jobs {
				if j.State != rivertype.JobStateAvailable {
					t.Errorf("job %d is %s, want available", j.ID, j.State)
				}
			}
			t.Logf("%d deliveries acknowledged before SIGKILL, %d stored, none lost", len(acked), stored)
		})
	}
}

// TestCrashedWorkerJobIsRescued: a job running in a process killed with
// SIGKILL is worked again by the next process once River's rescuer finds
// it stuck (RescueStuckJobsAfter, set short here).
func TestCrashedWorkerJobIsRescued(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			s := open(t, url, Options{})
			res, err := s.Enqueue(context.Background(), workArgs{Key: "rescued"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			cmd, lines := startHelper(t, "work", url)
			select {
			case line := <-lines:
				if line != "working rescued" {
					t.Fatalf("helper said %q", line)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("the helper did not start the job")
			}
			kill(t, cmd)

			wl := newWorkLog()
			cfg := workerConfig(&workWorker{client: "survivor", log: wl})
			cfg.RescueStuckJobsAfter = 2 * time.Second
			cfg.JobTimeout = time.Second
			cfg.RetryPolicy = &immediateRetry{}
			s2 := open(t, url, Options{River: cfg})
			if st := jobState(t, s2, res.ID); st != rivertype.JobStateRunning {
				t.Fatalf("the killed process's job is %s, want running (stuck)", st)
			}
			if err := s2.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 90*time.Second, "the stuck job to be rescued and worked", func() bool {
				return jobState(t, s2, res.ID) == rivertype.JobStateCompleted
			})
			if wl.count("rescued") != 1 {
				t.Fatalf("worked %d times after the rescue, want once", wl.count("rescued"))
			}
		})
	}
}

// immediateRetry retries at once, so a rescued job need not wait for
// River's backoff.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

var _ river.ClientRetryPolicy = immediateRetry{}
