#!/usr/bin/env python3
"""Writes realistic head versions of the real sample exports, one edit each.

The samples round-trip exactly through json.load/json.dump(indent=2), so each
variant differs from its base only where it was edited. Run from this folder:
    python3 make_variants.py
then `go test ./internal/formats/tray -run Golden -update` to refresh goldens.
"""
import copy
import json

BASES = {
    "bynder-dropbox": "../bynder-dropbox.project.json",
    "webdam-getty": "../webdam-getty.project.json",
}


def load(name):
    with open(BASES[name]) as f:
        return json.load(f)


def save(doc, name, variant):
    with open(f"{name}.{variant}.json", "w") as f:
        f.write(json.dumps(doc, indent=2))


def workflow(doc, title_part):
    return next(w for w in doc["workflows"] if title_part in w["title"])


def auth_slot(doc, external_id):
    return next(a for a in doc["solution"]["auth_slots"] if a["external_id"] == external_id)


def config_slot(doc, external_id):
    return next(c for c in doc["solution"]["config_slots"] if c["external_id"] == external_id)


def view_items(doc):
    for screen in doc["solution"]["view_schema"]["screens"]:
        for item in screen["items"]:
            yield screen, item


def regroup_steps(doc, old_group, new_group):
    for w in doc["workflows"]:
        for step in w["steps"].values():
            auth = step.get("authentication")
            if auth and auth["group"] == old_group:
                auth["group"] = new_group


BYNDER = "external_bynder_authentication_1"
DROPBOX = "external_dropbox_authentication"


def scope_added():
    d = load("bynder-dropbox")
    auth_slot(d, BYNDER)["scopes"].append("asset:delete")
    save(d, "bynder-dropbox", "scope-added")


def auth_env():
    d = load("bynder-dropbox")
    auth_slot(d, BYNDER)["auth_app_id"] = "0a9e8c55-3b51-4c1e-9d0e-5a8b1f7d2c11"
    save(d, "bynder-dropbox", "auth-env")


def auth_recreated():
    d = load("bynder-dropbox")
    slot = auth_slot(d, DROPBOX)
    old_group, new_group = slot["auth_group"], "5f0c2a9e-7e3b-4d0a-9b1c-2e6f8a4d3c21"
    slot["id"], slot["auth_group"] = "c3d1e2f4-8a9b-4c5d-9e0f-1a2b3c4d5e6f", new_group
    for usage in slot["usage"]:
        for step in usage["steps"]:
            step["auth_group"] = new_group
    regroup_steps(d, old_group, new_group)
    save(d, "bynder-dropbox", "auth-recreated")


def config_added():
    d = load("bynder-dropbox")
    slots = d["solution"]["config_slots"]
    template = config_slot(d, "external_syncurl")

    def new_slot(key, title, type_, default, required, use_default, hidden):
        s = copy.deepcopy(template)
        s.update(id=f"00000000-0000-4000-8000-{len(slots):012d}", key=key, title=title,
                 external_id="external_" + key.lower(), type=type_, default_value=default,
                 required=required, use_default_value=use_default, hidden=hidden, static=hidden, usage=[])
        slots.append(s)

    new_slot("brandId", "Bynder Brand", "string", "", True, False, False)
    new_slot("apiRegion", "apiRegion", "string", "", True, False, True)
    new_slot("tagPrefix", "Tag prefix", "string", "dropbox-", False, False, False)
    save(d, "bynder-dropbox", "config-added")


def config_changed():
    d = load("bynder-dropbox")
    s = config_slot(d, "external_includesubfolders")
    s["type"], s["default_value"] = "string", "yes"
    config_slot(d, "external_folderlimiter")["default_value"] = 8
    save(d, "bynder-dropbox", "config-changed")


def workflow_edit():
    d = load("bynder-dropbox")
    # a scheduled workflow: every 4 hours instead of 2
    interval = workflow(d, "Interval Control")
    interval["steps"]["trigger"]["properties"]["interval"]["value"] = 4
    # a new step appended to Sync Master
    sync = workflow(d, "Sync Master")
    delay = copy.deepcopy(sync["steps"]["delay-1"])
    delay["title"] = "Delay before retry"
    sync["steps"]["delay-4"] = delay
    sync["steps_structure"].append({"name": "delay-4", "type": "normal", "content": {}})
    # a connector upgrade in Initialize and a service version upgrade in Bynder Uploader
    workflow(d, "Initialize")["steps"]["storage-2"]["connector"]["version"] = "1.5"
    for step in workflow(d, "Bynder Uploader")["steps"].values():
        if step.get("authentication", {}).get("service_name") == "bynder":
            step["authentication"]["service_version"] = 3
            step["connector"]["version"] = "3.0"
    save(d, "bynder-dropbox", "workflow-edit")


def workflow_removed():
    d = load("bynder-dropbox")
    gone = workflow(d, "Manual Debug")
    d["workflows"].remove(gone)
    d["projects"][0]["workflows"].remove(gone["id"])
    for screen, item in list(view_items(d)):
        if item.get("workflowId") == gone["id"]:
            screen["items"].remove(item)
    save(d, "bynder-dropbox", "workflow-removed")


def service_added():
    d = load("bynder-dropbox")
    errors = workflow(d, "Error Catch")
    errors["steps"]["slack-1"] = {
        "title": "Notify on Slack",
        "connector": {"name": "slack", "version": "9.1"},
        "operation": "send_message",
        "output_schema": {},
        "error_handling": {},
        "authentication": {
            "group": "7d6c5b4a-3f2e-4d1c-8b0a-9f8e7d6c5b4a",
            "title": "Team Slack",
            "scopes": ["chat:write"],
            "service_name": "slack",
            "service_version": 1,
        },
        "properties": {"channel": {"type": "string", "value": "#alerts"}},
    }
    errors["steps_structure"].append({"name": "slack-1", "type": "normal", "content": {}})
    save(d, "bynder-dropbox", "service-added")


def getty_recreated():
    d = load("webdam-getty")
    slot = auth_slot(d, "external_getty_authentication")
    old_id, old_group = slot["id"], slot["auth_group"]
    new_id, new_group = "e0f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b", "b1c2d3e4-f5a6-4b7c-9d8e-0f1a2b3c4d5e"
    slot["id"], slot["auth_group"] = new_id, new_group
    for c in d["solution"]["config_slots"]:
        if c.get("auth_slot_id") == old_id:
            c["auth_slot_id"] = new_id
    for _, item in view_items(d):
        s = item.get("slot", {})
        if s.get("id") == old_id:
            s["id"] = new_id
        if s.get("authSlotId") == old_id:
            s["authSlotId"] = new_id
    regroup_steps(d, old_group, new_group)
    save(d, "webdam-getty", "getty-recreated")


for make in (scope_added, auth_env, auth_recreated, config_added, config_changed,
             workflow_edit, workflow_removed, service_added, getty_recreated):
    make()
