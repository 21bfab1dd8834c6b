package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
	trayformat "github.com/breakwater-dev/breakwater/internal/formats/tray"
	"github.com/breakwater-dev/breakwater/internal/rules"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// TrayClient is a Tray account; *tray.Client implements it.
type TrayClient interface {
	PreviewRelease(ctx context.Context, solutionID string) (*tray.ReleasePreview, error)
	ImportProject(ctx context.Context, in tray.ImportProjectInput) error
}

// File is a file of the package, its path relative to the package root.
type File struct {
	Path string
	Data []byte
}

// tray imports the package's project export into the environment's Tray
// project. First it asks Tray's publish preview and compares it with the
// findings (any disagreement is reported, it is the best test of the
// classifier there is); then, unless an auth is new or modified — which
// Tray cannot take hands-off: a person must authenticate it — it imports
// the export as a draft. Publishing the draft stays a person's step.
func (d DeployStep) tray(ctx context.Context, r *Release, res *DeployResult) error {
	if d.Tray == nil {
		return fmt.Errorf("environment %s has no Tray client", d.Env.Name)
	}
	export, err := trayExport(r.Files, d.Env.Tray.Export)
	if err != nil {
		return err
	}
	record := r.changes()
	preview, err := d.Tray.PreviewRelease(ctx, d.Env.Tray.SolutionID)
	if err != nil {
		res.Outcome, res.Detail = OutcomeImportRefused, "Tray's publish preview failed, so nothing was imported: "+r.redact(err.Error())
		return errors.New(res.Detail)
	}
	res.Disagreements = ComparePreview(preview, record)
	for _, dis := range res.Disagreements {
		r.Warn("Tray's publish preview disagrees (" + d.Env.Name + "): " + dis)
	}
	if auth := rules.AuthBreaks(record); len(auth) > 0 {
		res.Outcome, res.AuthFindings = OutcomeImportRefused, auth
		res.Detail = fmt.Sprintf("%d new or modified auth(s): Tray cannot import them hands-off, a person must authenticate them first", len(auth))
		res.ManualSteps = append([]string{"In Tray, create or select and authenticate:"}, authTargets(auth)...)
		res.ManualSteps = append(res.ManualSteps,
			fmt.Sprintf("Import %s into project %s (Project → Import), then publish the solution in the Solution Editor.", export.Path, d.Env.Tray.ProjectID))
		return fmt.Errorf("import refused: %s", res.Detail)
	}
	if err := d.Tray.ImportProject(ctx, tray.ImportProjectInput{TargetProjectID: d.Env.Tray.ProjectID, ExportedProject: json.RawMessage(export.Data)}); err != nil {
		res.Outcome, res.Detail = OutcomeNoRollback, "importProject failed: "+r.redact(err.Error())
		return errors.New(res.Detail)
	}
	res.Outcome = OutcomeImported
	res.Detail = fmt.Sprintf("%s imported into project %s; publish the solution in the Solution Editor to release it to instances", export.Path, d.Env.Tray.ProjectID)
	res.ManualSteps = []string{fmt.Sprintf("Open solution %s in Tray's Solution Editor and publish the draft.", d.Env.Tray.SolutionID)}
	return nil
}

// trayExport picks the project export to import: the configured path, else
// the package's only Tray export.
func trayExport(files []File, path string) (File, error) {
	var found []File
	for _, f := range files {
		if path != "" {
			if f.Path == path {
				return f, nil
			}
			continue
		}
		if isTrayExport(f) {
			found = append(found, f)
		}
	}
	switch {
	case path != "":
		return File{}, fmt.Errorf("the package has no file %s to import into Tray", path)
	case len(found) == 0:
		return File{}, fmt.Errorf("the package holds no Tray export to import: check packages[].paths in the configuration (a Tray environment imports a project export)")
	case len(found) > 1:
		var names []string
		for _, f := range found {
			names = append(names, f.Path)
		}
		return File{}, fmt.Errorf("the package holds %d Tray exports (%s); name the one to import in the environment's tray.export", len(found), strings.Join(names, ", "))
	}
	return found[0], nil
}

// isTrayExport reports whether the format registry detects f as a Tray
// export: detected as the engine detects it, so that the file imported is
// the one the change record compared.
func isTrayExport(f File) bool {
	if !strings.HasSuffix(f.Path, ".json") {
		return false
	}
	doc, err := formats.ParseJSON(f.Path, f.Data)
	if err != nil {
		return false
	}
	got, ok := registry.Default().Detect(doc.Root)
	return ok && got.Name() == trayformat.Format
}

// ComparePreview compares Tray's publish preview with the change record and
// lists every disagreement: the three verdict flags, and which auth and
// config slots are created or updated.
func ComparePreview(p *tray.ReleasePreview, record *change.Record) []string {
	var fs []change.RecordFinding
	if record != nil {
		fs = record.Findings
	}
	var breaking, user, system bool
	for _, f := range fs {
		if f.Severity == change.Breaking {
			breaking = true
		}
		if f.Severity == change.Breaking || f.Severity == change.Warning {
			user = user || f.Upgrade == change.UserInput
			system = system || f.Upgrade == change.SystemInput
		}
	}
	var out []string
	flag := func(name string, theirs, ours bool, what string) {
		if theirs != ours {
			out = append(out, fmt.Sprintf("%s: Tray says %t, Breakwater found %s", name, theirs, map[bool]string{true: what, false: "none"}[ours]))
		}
	}
	flag("breakingChanges", p.BreakingChanges, breaking, "breaking changes")
	flag("requiresNewUserInput", p.RequiresNewUserInput, user, "changes that need the end user")
	flag("requiresNewSystemInput", p.RequiresNewSystemInput, system, "changes that need the integration owner")
	out = append(out, compareSlots("auth", p.AuthSlots, fs, change.AuthSlot)...)
	out = append(out, compareSlots("config", p.ConfigSlots, fs, change.ConfigSlot)...)
	return out
}

func compareSlots(kind string, theirs tray.SlotChanges, fs []change.RecordFinding, slotKind change.SlotKind) []string {
	group := func(c change.SlotChange) string {
		switch c {
		case change.SlotAdded:
			return "created"
		case change.SlotChanged, change.SlotRecreated:
			return "updated"
		}
		return ""
	}
	ours := map[string]map[string]bool{"created": {}, "updated": {}}
	for _, f := range fs {
		if f.Slot != nil && f.Slot.Kind == slotKind && f.Slot.ExternalID != "" {
			if g := group(f.Slot.Change); g != "" {
				ours[g][f.Slot.ExternalID] = true
			}
		}
	}
	var out []string
	for _, g := range []string{"created", "updated"} {
		tray := map[string]bool{}
		for _, s := range theirs[g] {
			tray[s.ExternalID] = true
		}
		for _, id := range slices.Sorted(maps.Keys(tray)) {
			if !ours[g][id] {
				out = append(out, fmt.Sprintf("%s slot %s: Tray lists it as %s, Breakwater has no such finding", kind, id, g))
			}
		}
		for _, id := range slices.Sorted(maps.Keys(ours[g])) {
			if !tray[id] {
				out = append(out, fmt.Sprintf("%s slot %s: Breakwater finds it %s, Tray's preview does not list it", kind, id, g))
			}
		}
	}
	return out
}
