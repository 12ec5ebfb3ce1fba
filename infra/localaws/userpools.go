package localaws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/spiris/collab/infra/samtemplate"
)

// UserPoolID returns the id of the user pool declared as logicalID.
func (r *Resources) UserPoolID(logicalID string) string { return lookupID(r.pools, logicalID) }

// UserPoolClientID returns the client id of the user pool client declared as logicalID.
func (r *Resources) UserPoolClientID(logicalID string) string { return lookupID(r.clients, logicalID) }

func lookupID(ids map[string]string, logicalID string) string {
	id, ok := ids[logicalID]
	if !ok {
		panic(fmt.Sprintf("localaws: the template declares no user pool or client %q", logicalID))
	}
	return id
}

// createUserPools creates each user pool as <prefix>-<LogicalID>, e-mail as the alias people
// sign in with, and its clients with the password sign-in the local sign-in page uses
// (USER_PASSWORD_AUTH; the emulator does not check SRP's proofs the way Cognito does). A pool of
// that name that exists is reused with its clients.
func (r *Resources) createUserPools(ctx context.Context, pools []samtemplate.UserPool) error {
	if r.pools == nil {
		r.pools, r.clients = map[string]string{}, map[string]string{}
	}
	c := cip.NewFromConfig(r.cfg)
	for _, p := range pools {
		name := r.Prefix + "-" + p.LogicalID
		id, err := findUserPool(ctx, c, name)
		if err != nil {
			return fmt.Errorf("localaws.Provision user pool %s: %w", p.LogicalID, err)
		}
		if id == "" {
			out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: &name,
				AliasAttributes:       []ciptypes.AliasAttributeType{ciptypes.AliasAttributeTypeEmail},
				AdminCreateUserConfig: &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true}})
			if err != nil {
				return fmt.Errorf("localaws.Provision user pool %s: %w", p.LogicalID, err)
			}
			id = aws.ToString(out.UserPool.Id)
		}
		r.pools[p.LogicalID] = id
		for _, client := range p.Clients {
			if err := r.createClient(ctx, c, id, client); err != nil {
				return fmt.Errorf("localaws.Provision user pool client %s: %w", client, err)
			}
		}
	}
	return nil
}

func findUserPool(ctx context.Context, c *cip.Client, name string) (string, error) {
	pages := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, p := range out.UserPools {
			if aws.ToString(p.Name) == name {
				return aws.ToString(p.Id), nil
			}
		}
	}
	return "", nil
}

func (r *Resources) createClient(ctx context.Context, c *cip.Client, poolID, logicalID string) error {
	name := r.Prefix + "-" + logicalID
	out, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: &poolID, MaxResults: aws.Int32(60)})
	if err != nil {
		return err
	}
	for _, cl := range out.UserPoolClients {
		if aws.ToString(cl.ClientName) == name {
			r.clients[logicalID] = aws.ToString(cl.ClientId)
			return nil
		}
	}
	created, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: &name,
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		return err
	}
	r.clients[logicalID] = aws.ToString(created.UserPoolClient.ClientId)
	return nil
}

// deleteUserPools deletes the user pools (their clients with them).
func (r *Resources) deleteUserPools(ctx context.Context) error {
	c := cip.NewFromConfig(r.cfg)
	for logicalID, id := range r.pools {
		if _, err := c.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: &id}); err != nil {
			return fmt.Errorf("localaws.Delete user pool %s: %w", logicalID, err)
		}
	}
	return nil
}
