package tray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// The only GraphQL documents this client sends. Values always travel as
// variables, never interpolated into the text.
const (
	instanceFields = `fragment InstanceFields on SolutionInstance {
  id
  name
  owner
  enabled
  created
  solutionVersionFlags { hasNewerVersion requiresUserInputToUpdateVersion requiresSystemInputToUpdateVersion }
  authValues { externalId authId }
  configValues { externalId value }
}`

	querySolutionInstances = `query SolutionInstances($criteria: SolutionInstanceSearchCriteria, $first: Int, $after: String) {
  viewer {
    solutionInstances(criteria: $criteria, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...InstanceFields } }
    }
  }
}
` + instanceFields

	mutationUpgrade = `mutation UpgradeSolutionInstance($input: UpgradeSolutionInstanceInput!) {
  upgradeSolutionInstance(input: $input) {
    solutionInstance { ...InstanceFields }
  }
}
` + instanceFields

	mutationAuthorize = `mutation Authorize($input: AuthorizeInput!) {
  authorize(input: $input) { accessToken }
}`

	mutationImportProject = `mutation ImportProject($input: ImportProjectInput!) {
  importProject(input: $input) { clientMutationId }
}`
)

// documents lists every GraphQL document the client may send (tests check
// each against the schema, and that none names updateSolutionInstance).
var documents = []string{querySolutionInstances, mutationUpgrade, mutationAuthorize, mutationImportProject}

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
}

type gqlError struct {
	Message string `json:"message"`
	Path    []any  `json:"path,omitempty"`
}

// graphql posts one document and decodes its data into out.
func (c *Client) graphql(ctx context.Context, op, token, query string, vars map[string]any, out any) error {
	return c.graphqlRequest(ctx, request{op: op, url: c.gqlURL, token: token}, query, vars, out)
}

// graphqlRequest is graphql with the request's options (r.body is set
// here).
func (c *Client) graphqlRequest(ctx context.Context, r request, query string, vars map[string]any, out any) error {
	op := r.op
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return &Error{Op: op, Kind: KindInput, Err: err}
	}
	r.body = body
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	msgs, err := decodeGraphQL(resp, out)
	switch {
	case len(msgs) > 0:
		for i := range msgs {
			msgs[i] = c.redact(msgs[i])
		}
		return &Error{Op: op, Kind: KindGraphQL, Status: 200, Messages: msgs}
	case err != nil:
		return &Error{Op: op, Kind: KindDecode, Status: 200, Err: err}
	}
	return nil
}

// decodeGraphQL reads a GraphQL answer: the messages of its errors[] when
// it has any (a partial answer is no answer), else data decoded into out (a
// pointer) in one pass. Unknown fields are ignored; absent data leaves out
// empty, which callers check.
func decodeGraphQL(body []byte, out any) ([]string, error) {
	r := struct {
		// Data holds out: encoding/json decodes into the pointer it holds,
		// and sets it to nil for "data": null.
		Data   any        `json:"data"`
		Errors []gqlError `json:"errors"`
	}{Data: out}
	err := json.Unmarshal(body, &r)
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
			if msgs[i] == "" {
				msgs[i] = "GraphQL error without a message"
			}
		}
		return msgs, nil
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("answer is not the GraphQL JSON the query asks for: %w", err)
	case r.Data == nil:
		return nil, errors.New("answer has neither data nor errors")
	}
	return nil, nil
}
