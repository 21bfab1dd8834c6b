package githubtest

import (
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
)

// SetBranch points branch at commit sha. A pull request opened with a
// HeadRef in this repository sets its branch too.
func (r *Repository) SetBranch(name, sha string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.branches[name] = sha
}

// Branch is the commit branch points at, "" for none.
func (r *Repository) Branch(name string) string {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return r.branches[name]
}

// File is the content of path at ref (a commit SHA or a branch); ok is
// false when there is no such file.
func (r *Repository) File(ref, path string) (data []byte, ok bool) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if sha, isBranch := r.branches[ref]; isBranch {
		ref = sha
	}
	c := r.commits[ref]
	if c == nil {
		return nil, false
	}
	data, ok = c.files[path]
	return append([]byte(nil), data...), ok
}

// Pushed is a commit made through the contents API.
type Pushed struct {
	SHA, Branch, Path, Message string
	// By is the login of the account whose token made it.
	By string
}

// Pushes are the commits made through the contents API, in order.
func (r *Repository) Pushes() []Pushed {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return append([]Pushed(nil), r.pushes...)
}

// SetPermission gives login a permission on the repository: admin, write,
// read or none. Logins without one have read, as on a public repository.
func (r *Repository) SetPermission(login, permission string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.perms[strings.ToLower(login)] = permission
}

func getPermission(c *call) {
	login := c.op.Params["username"]
	perm, ok := c.repo.perms[strings.ToLower(login)]
	if !ok {
		perm = "read"
	}
	role := perm
	if perm == "none" {
		role = "read"
	}
	c.json(http.StatusOK, map[string]any{"permission": perm, "role_name": role,
		"user": map[string]any{"login": login, "id": 1, "type": "User"}})
}

// putContent commits one file to a branch, as PUT
// /repos/{owner}/{repo}/contents/{path} does: the blob SHA of the file it
// replaces must be given and current (409 otherwise), and pull requests
// whose head is the branch move with it.
func putContent(c *call) {
	var body struct {
		Message string `json:"message"`
		Content string `json:"content"`
		SHA     string `json:"sha"`
		Branch  string `json:"branch"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Branch == "" {
		c.invalid("the fake has no default branch: name the branch")
		return
	}
	head, ok := c.repo.branches[body.Branch]
	if !ok {
		c.notFound("Branch " + body.Branch + " not found")
		return
	}
	data, err := base64.StdEncoding.DecodeString(body.Content)
	if err != nil {
		c.invalid("content is not base64: %v", err)
		return
	}
	p := c.op.Params["path"]
	files := maps.Clone(c.repo.commits[head].files)
	old, exists := files[p]
	switch {
	case exists && body.SHA == "":
		c.json(http.StatusUnprocessableEntity, map[string]string{"message": `Invalid request. "sha" wasn't supplied.`})
		return
	case exists && body.SHA != blobSHA(old), !exists && body.SHA != "":
		c.json(http.StatusConflict, map[string]string{"message": p + " does not match " + body.SHA})
		return
	}
	files[p] = data
	c.f.mu.Unlock() // Commit takes the lock
	sha := c.repo.Commit([]string{head}, files)
	c.f.mu.Lock()
	c.repo.branches[body.Branch] = sha
	for _, pr := range c.repo.pulls {
		if pr.HeadRef == body.Branch && (pr.HeadRepo == "" || strings.EqualFold(pr.HeadRepo, c.repo.fullName())) {
			pr.HeadSHA = sha
		}
	}
	c.repo.pushes = append(c.repo.pushes, Pushed{SHA: sha, Branch: body.Branch, Path: p, Message: body.Message, By: c.as.Login})
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	c.json(status, map[string]any{
		"content": map[string]any{"name": p[strings.LastIndex(p, "/")+1:], "path": p, "sha": blobSHA(data), "type": "file"},
		"commit":  map[string]any{"sha": sha, "message": body.Message},
	})
}
