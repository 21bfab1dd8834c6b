// Package ckbk diffs FrontlineCloud recipe collection templates (.ckbk).
//
// Recipes are matched across versions by collectionRole, statistics through
// their UpdateStatisticsAction (groupIdentifier, key), charts by title and
// UserData entries by key. Every template update reaches all workspaces
// automatically, so the findings speak about what happens to queued triggers
// and collected statistics.
package ckbk

// Format names the format in comparisons and artifacts ("ckbk:<name>").
const Format = "ckbk"
