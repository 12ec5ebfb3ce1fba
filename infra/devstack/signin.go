package devstack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/spiris/collab/internal/identity/cognito"
)

// ErrSignIn is a sign-in the pool refused: an unknown e-mail address or a wrong password.
var ErrSignIn = errors.New("the e-mail address or the password is not right")

// ErrFirstSignInExpired is a first sign-in code Cognito refused as expired (after the pool's
// TemporaryPasswordValidityDays); moto never refuses one, so locally the page checks the link's
// stated expiry instead (Stack.expiredLink).
var ErrFirstSignInExpired = errors.New("the first sign-in code has expired")

// Challenge is a first sign-in halfway: the person signed in with the code from their link and
// must now choose a password (Cognito's NEW_PASSWORD_REQUIRED).
type Challenge struct {
	UserID, Session string
}

// SignIn signs a person in with their e-mail address and password through the app client
// (USER_PASSWORD_AUTH), as the web client's sign-in does in AWS: it returns the access token, or
// the challenge of a first sign-in. Locally the e-mail is looked up first, since the emulator
// does not sign in by the pool's e-mail alias as Cognito does.
func (p *Identity) SignIn(ctx context.Context, email, password string) (string, *Challenge, error) {
	id, ok, err := p.Pool.Lookup(ctx, email)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, ErrSignIn
	}
	out, err := p.Pool.Client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &p.ClientID, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": id, "PASSWORD": password}})
	var refused *ciptypes.NotAuthorizedException
	switch {
	case errors.As(err, &refused) && strings.Contains(strings.ToLower(aws.ToString(refused.Message)), "temporary password has expired"):
		return "", nil, ErrFirstSignInExpired
	case errors.As(err, &refused):
		return "", nil, ErrSignIn
	case err != nil:
		return "", nil, fmt.Errorf("devstack: sign in: %w", err)
	case out.ChallengeName == ciptypes.ChallengeNameTypeNewPasswordRequired:
		return "", &Challenge{UserID: id, Session: aws.ToString(out.Session)}, nil
	case out.AuthenticationResult == nil:
		return "", nil, fmt.Errorf("devstack: sign in: unexpected challenge %s", out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil, nil
}

// ChoosePassword completes a first sign-in with the password the person chose.
func (p *Identity) ChoosePassword(ctx context.Context, c Challenge, password string) (string, error) {
	out, err := p.Pool.Client.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &p.ClientID,
		ChallengeName: ciptypes.ChallengeNameTypeNewPasswordRequired, Session: &c.Session,
		ChallengeResponses: map[string]string{"USERNAME": c.UserID, "NEW_PASSWORD": password}})
	if err != nil {
		return "", fmt.Errorf("devstack: choose a password: %w", err)
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("devstack: choose a password: unexpected challenge %s", out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}

// Token returns an access token for a user, for tests and `make token`: it signs in with the
// password it set for them before, or the seeded people's DemoPassword; failing that it sets a
// new password (which ends a first sign-in not done yet), creating a user the pool lacks. The
// e-mail worker may give the same person a first sign-in code in between (a new company's
// administrator right after the activation), which replaces the password just set: Token then
// sets it again, a few times.
func (p *Identity) Token(ctx context.Context, userID string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	password, ok := p.passwords[userID]
	if !ok {
		password = DemoPassword
	}
	token, err := p.passwordSignIn(ctx, userID, password)
	for attempt := 0; err != nil && attempt < 3; attempt++ {
		password = cognito.TemporaryPassword()
		if err = p.ensurePassword(ctx, userID, password); err != nil {
			return "", err
		}
		token, err = p.passwordSignIn(ctx, userID, password)
	}
	if err != nil {
		return "", err
	}
	p.passwords[userID] = password
	return token, nil
}

// ensurePassword sets a user's password, creating the user when the pool lacks them.
func (p *Identity) ensurePassword(ctx context.Context, userID, password string) error {
	err := p.setPassword(ctx, userID, password)
	var missing *ciptypes.UserNotFoundException
	if !errors.As(err, &missing) {
		return err
	}
	_, err = p.Pool.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &p.Pool.ID, Username: &userID,
		MessageAction: ciptypes.MessageActionTypeSuppress})
	var exists *ciptypes.UsernameExistsException // the service created them meanwhile
	if err != nil && !errors.As(err, &exists) {
		return err
	}
	return p.setPassword(ctx, userID, password)
}

func (p *Identity) passwordSignIn(ctx context.Context, userID, password string) (string, error) {
	out, err := p.Pool.Client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &p.ClientID, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": userID, "PASSWORD": password}})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("devstack: sign in as %s: challenge %s", userID, out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}
