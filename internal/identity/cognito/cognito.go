// Package cognito is the identity provider the service creates people in: the stack's Amazon
// Cognito user pool. A person's username is their company user id, their e-mail an alias they
// sign in with; the pool's access tokens carry the username, which the HTTP adapter takes as the
// caller's user id.
package cognito

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/spiris/collab/internal/actions"
)

// Pool is one user pool; it implements actions.Identity.
type Pool struct {
	Client *cip.Client
	ID     string // the user pool's id
}

// New returns the pool with the id poolID.
func New(cfg aws.Config, poolID string) *Pool {
	return &Pool{Client: cip.NewFromConfig(cfg), ID: poolID}
}

// Ensure returns the username of the pool's user with p's e-mail, or creates p as UserID with
// no message from Cognito (the service's own e-mail carries the first sign-in link), the e-mail
// verified (the service writes to it), and p's name and language. A user created by a concurrent
// request for the same e-mail (AliasExistsException in AWS) is looked up again.
func (c *Pool) Ensure(ctx context.Context, p actions.Person) (string, error) {
	email := strings.ToLower(p.Email)
	if strings.ContainsAny(email, `"\`) {
		return "", errors.New("cognito: the e-mail address cannot be looked up")
	}
	if id, ok, err := c.Lookup(ctx, email); err != nil || ok {
		return id, err
	}
	_, err := c.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: &c.ID, Username: &p.UserID, MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: attributes(email, p),
	})
	var exists *types.UsernameExistsException
	var alias *types.AliasExistsException
	switch {
	case errors.As(err, &alias):
		if id, ok, err := c.Lookup(ctx, email); err != nil || ok {
			return id, err
		}
		return "", fmt.Errorf("cognito: create user: the e-mail is taken but no user has it")
	case errors.As(err, &exists): // the same id proposed again
		return p.UserID, nil
	case err != nil:
		return "", fmt.Errorf("cognito: create user: %w", err)
	}
	return p.UserID, nil
}

// Lookup returns the username of the user with the e-mail, if there is one (ListUsers).
func (c *Pool) Lookup(ctx context.Context, email string) (string, bool, error) {
	email = strings.ToLower(email)
	if strings.ContainsAny(email, `"\`) {
		return "", false, nil
	}
	out, err := c.Client.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &c.ID,
		Filter: aws.String(`email = "` + email + `"`), Limit: aws.Int32(1)})
	if err != nil {
		return "", false, fmt.Errorf("cognito: find user by e-mail: %w", err)
	}
	if len(out.Users) == 0 || out.Users[0].Username == nil {
		return "", false, nil
	}
	return *out.Users[0].Username, true, nil
}

// Change gives the user p.UserID p's e-mail (verified, the alias they sign in with), name and
// language. It returns actions.ErrEmailTaken when the e-mail is another user's alias
// (AliasExistsException in AWS, or another user found by it), and creates a user the pool lacks.
func (c *Pool) Change(ctx context.Context, p actions.Person) error {
	email := strings.ToLower(p.Email)
	if id, ok, err := c.Lookup(ctx, email); err != nil || ok && id != p.UserID {
		return cmp.Or(err, actions.ErrEmailTaken)
	}
	_, err := c.Client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &c.ID, Username: &p.UserID,
		UserAttributes: attributes(email, p)})
	var alias *types.AliasExistsException
	var missing *types.UserNotFoundException
	switch {
	case errors.As(err, &alias):
		return actions.ErrEmailTaken
	case errors.As(err, &missing):
		_, err = c.Ensure(ctx, p)
		return err
	case err != nil:
		return fmt.Errorf("cognito: change user: %w", err)
	}
	return nil
}

// attributes are a person's attributes in the pool.
func attributes(email string, p actions.Person) []types.AttributeType {
	return []types.AttributeType{
		{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")},
		{Name: aws.String("name"), Value: &p.Name}, {Name: aws.String("locale"), Value: aws.String(string(p.Language))},
	}
}

// SignInState tells whether the user has signed in and chose a password (any status but
// FORCE_CHANGE_PASSWORD, which a user created with a temporary password keeps until their first
// sign-in), has not yet, or is not in the pool: one AdminGetUser.
func (c *Pool) SignInState(ctx context.Context, userID string) (actions.SignInState, error) {
	u, err := c.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &c.ID, Username: &userID})
	var missing *types.UserNotFoundException
	switch {
	case errors.As(err, &missing):
		return actions.SignInUnknown, nil
	case err != nil:
		return "", fmt.Errorf("cognito: read user: %w", err)
	case u.UserStatus == types.UserStatusTypeForceChangePassword:
		return actions.SignInPending, nil
	}
	return actions.SignedIn, nil
}

// FirstSignIn gives a user who has never chosen a password a new temporary one, which Cognito
// lets them sign in with once, to choose their own (the NEW_PASSWORD_REQUIRED challenge), until
// the pool's TemporaryPasswordValidityDays pass. A user who signed in already, or whom the pool
// does not know, gets "".
func (c *Pool) FirstSignIn(ctx context.Context, userID string) (string, error) {
	u, err := c.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &c.ID, Username: &userID})
	var missing *types.UserNotFoundException
	switch {
	case errors.As(err, &missing):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("cognito: read user: %w", err)
	case u.UserStatus != types.UserStatusTypeForceChangePassword:
		return "", nil
	}
	code := TemporaryPassword()
	if _, err := c.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &c.ID,
		Username: &userID, Password: &code, Permanent: false}); err != nil {
		return "", fmt.Errorf("cognito: set the first sign-in code: %w", err)
	}
	return code, nil
}

// TemporaryPassword returns a random password that any Cognito password policy accepts: 24
// letters and digits from 120 random bits and one of each required kind of character.
func TemporaryPassword() string {
	return rand.Text()[:24] + "aA1-"
}
