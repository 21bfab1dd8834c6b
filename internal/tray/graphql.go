package tray

import (
	"bytes"
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
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return &Error{Op: op, Kind: KindInput, Err: err}
	}
	resp, err := c.send(ctx, request{op: op, url: c.gqlURL, body: body, token: token})
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
// it has any (then data is not decoded: a partial answer is no answer), else
// data decoded into out. Unknown fields are ignored.
func decodeGraphQL(body []byte, out any) ([]string, error) {
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("answer is not GraphQL JSON: %w", err)
	}
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
	if len(r.Data) == 0 || bytes.Equal(r.Data, []byte("null")) {
		return nil, errors.New("answer has neither data nor errors")
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return nil, fmt.Errorf("data does not match the query: %w", err)
	}
	return nil, nil
}
