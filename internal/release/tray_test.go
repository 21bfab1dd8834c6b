package release_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

const trayExport = `{"tray_export_version":"4","export_type":"project","projects":[],"solution":{"title":"Bynder Dropbox"}}`

func trayEnv() config.Environment {
	return config.Environment{Name: "tray-prod", Production: true, Tray: config.EnvironmentTray{ProjectID: "proj-1", SolutionID: "sol-1"}}
}

func newTray(t *testing.T) (*traytest.Server, *tray.Client) {
	t.Helper()
	srv := traytest.New(t, traytest.Config{MasterToken: trayToken, Unlimited: true})
	srv.AddSolution(traytest.Solution{ID: "sol-1", Title: "Bynder Dropbox", Version: 3})
	c, err := tray.New(tray.Options{MasterToken: trayToken, GraphQLURL: srv.GraphQLURL(), APIURL: srv.APIURL(), MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// previewAnswer is Tray's publish preview for a new required config slot
// that Tray also calls a new auth slot: one agreement, one disagreement.
func previewAnswer() map[string]any {
	return map[string]any{
		"breakingChanges": true, "requiresNewUserInput": true, "requiresNewSystemInput": true,
		"authSlots": map[string]any{"created": []any{map[string]any{"id": "a1", "title": "Slack", "externalId": "external_slack", "static": false, "hidden": false,
			"hasBreakingChange": true, "changes": []any{map[string]any{"message": "New mandatory slot", "code": "CreatedMandatorySlot", "breakingChange": true}}, "recreated": false}}},
		"configSlots": map[string]any{"created": []any{map[string]any{"id": "c1", "title": "Target collection", "externalId": "external_target_collection",
			"static": false, "hidden": false, "hasBreakingChange": true, "recreated": false}}, "deleted": []any{}},
	}
}

func TestTrayImportReportsPreviewDisagreements(t *testing.T) {
	srv, client := newTray(t)
	srv.SetPreview("sol-1", previewAnswer())
	r, _ := signedRelease(t, configOnly())
	r.Files = []release.File{{Path: "bynder-dropbox.project.json", Data: []byte(trayExport)}, {Path: "README.json", Data: []byte(`{}`)}}
	err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: trayEnv(), Tray: client}})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Deploys[0]
	if d.Outcome != release.OutcomeImported {
		t.Fatalf("outcome %q: %s", d.Outcome, d.Detail)
	}
	want := []string{
		"requiresNewSystemInput: Tray says true, Breakwater found none",
		"auth slot external_slack: Tray lists it as created, Breakwater has no such finding",
	}
	if diff := cmp.Diff(want, d.Disagreements); diff != "" {
		t.Errorf("disagreements (-want +got):\n%s", diff)
	}
	drafts := srv.Drafts()
	if len(drafts) != 1 || drafts[0].TargetProjectID != "proj-1" || string(drafts[0].ExportedProject) != trayExport {
		t.Errorf("drafts = %+v", drafts)
	}
	// The preview was asked before the import.
	var ops []string
	for _, c := range srv.Calls() {
		ops = append(ops, c.Op)
	}
	if diff := cmp.Diff([]string{traytest.OpPreview, traytest.OpImportProject}, ops); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	s := release.Summary(r)
	for _, w := range []string{"Tray's publish preview disagrees", "external\\_slack", "publish the draft"} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
	assertNoSecret(t, releaseOutputs(r, err)...)
}

func TestTrayImportRefusedForNewAuth(t *testing.T) {
	srv, client := newTray(t)
	srv.SetPreview("sol-1", previewAnswer())
	r, _ := signedRelease(t, authBreaking())
	r.Files = []release.File{{Path: "bynder-dropbox.project.json", Data: []byte(trayExport)}}
	err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: trayEnv(), Tray: client}})
	if err == nil || srv.CallCount(traytest.OpImportProject) != 0 {
		t.Fatalf("Run = %v, imports %d; want a refusal and no import", err, srv.CallCount(traytest.OpImportProject))
	}
	d := r.Deploys[0]
	steps := strings.Join(d.ManualSteps, "\n")
	if d.Outcome != release.OutcomeImportRefused || len(d.AuthFindings) != 1 ||
		!strings.Contains(steps, "tray/auth-scopes-added") || !strings.Contains(steps, "external_bynder") {
		t.Errorf("deploy = %+v", d)
	}
	// The preview was still compared: its disagreements are reported.
	if len(d.Disagreements) == 0 {
		t.Error("no disagreements reported")
	}
	assertNoSecret(t, releaseOutputs(r, err)...)
}

func TestTrayPreviewFailureImportsNothing(t *testing.T) {
	srv, client := newTray(t)
	srv.InjectFault(traytest.Fault{Kind: traytest.Fault5xx, Op: traytest.OpPreview})
	r, _ := signedRelease(t, configOnly())
	r.Files = []release.File{{Path: "x.json", Data: []byte(trayExport)}}
	err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: trayEnv(), Tray: client}})
	if err == nil || srv.CallCount(traytest.OpImportProject) != 0 || !strings.Contains(err.Error(), "publish preview failed") {
		t.Errorf("Run = %v, imports %d", err, srv.CallCount(traytest.OpImportProject))
	}
}

func TestTrayExportChoice(t *testing.T) {
	srv, client := newTray(t)
	srv.SetPreview("sol-1", previewAnswer())
	r, _ := signedRelease(t, configOnly())
	r.Files = []release.File{{Path: "a.json", Data: []byte(trayExport)}, {Path: "b.json", Data: []byte(trayExport)}}
	err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: trayEnv(), Tray: client}})
	if err == nil || !strings.Contains(err.Error(), "2 Tray exports (a.json, b.json)") {
		t.Errorf("two exports = %v", err)
	}
	env := trayEnv()
	env.Tray.Export = "b.json"
	r.Records, r.Deploys = nil, nil
	if err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: env, Tray: client}}); err != nil {
		t.Errorf("the named export = %v", err)
	}
}
