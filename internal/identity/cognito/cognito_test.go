package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/spiris/collab/infra/localaws"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/awsenv"
	"github.com/spiris/collab/internal/identity/cognito"
)

var res *localaws.Resources

func TestMain(m *testing.M) { os.Exit(localaws.Main(m, &res)) }

var ctx = context.Background()

func pool(t *testing.T) *cognito.Pool {
	t.Helper()
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cognito.New(cfg, res.UserPoolID("UserPool"))
}

// signIn signs in with a password as the web client would, and answers the first sign-in's
// challenge with newPassword; it returns the access token.
func signIn(t *testing.T, p *cognito.Pool, username, password, newPassword string) (string, error) {
	t.Helper()
	client := res.UserPoolClientID("UserPoolClient")
	out, err := p.Client.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password}})
	if err != nil {
		return "", err
	}
	if out.ChallengeName == types.ChallengeNameTypeNewPasswordRequired {
		if newPassword == "" {
			t.Fatalf("signing in as %s asks for a new password", username)
		}
		r, err := p.Client.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: &client, Session: out.Session,
			ChallengeName: out.ChallengeName, ChallengeResponses: map[string]string{"USERNAME": username, "NEW_PASSWORD": newPassword}})
		if err != nil {
			return "", err
		}
		return aws.ToString(r.AuthenticationResult.AccessToken), nil
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}

func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAPersonIsCreatedOnceHoweverOftenTheRequestIsRetried(t *testing.T) {
	p := pool(t)
	person := actions.Person{UserID: "user-retried-1", Email: "Retried.Person@example.com", Name: "Rita Retried", Language: "sv"}
	id, err := p.Ensure(ctx, person)
	if err != nil || id != person.UserID {
		t.Fatalf("first attempt: %q %v, want %q", id, err, person.UserID)
	}
	// A retry of the request proposes a new id for the same e-mail; the same call again is a
	// redelivery.
	for _, again := range []actions.Person{{UserID: "user-retried-2", Email: "retried.person@example.com", Name: "Rita Retried"}, person} {
		if id, err := p.Ensure(ctx, again); err != nil || id != person.UserID {
			t.Errorf("Ensure(%s): %q %v, want the first attempt's %q", again.UserID, id, err, person.UserID)
		}
	}
	out, err := p.Client.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: &p.ID, Filter: aws.String(`email = "retried.person@example.com"`)})
	if err != nil || len(out.Users) != 1 {
		t.Fatalf("users with the e-mail: %d %v, want 1", len(out.Users), err)
	}
	if _, err := p.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.ID, Username: aws.String("user-retried-2")}); err == nil {
		t.Errorf("the retry's id was created too")
	}
}

func TestTheFirstSignInCodeIsSingleUseAndTheLatestOneCounts(t *testing.T) {
	p := pool(t)
	id, err := p.Ensure(ctx, actions.Person{UserID: "user-first-1", Email: "first@example.com", Name: "Fia First", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	older, err := p.FirstSignIn(ctx, id)
	if err != nil || older == "" {
		t.Fatalf("first code: %q %v", older, err)
	}
	code, err := p.FirstSignIn(ctx, id) // the e-mail sent again: a new link
	if err != nil || code == "" || code == older {
		t.Fatalf("second code: %q %v, want a new one", code, err)
	}
	if _, err := signIn(t, p, id, older, "Chosen-Password-1"); err == nil {
		t.Errorf("the replaced code signed in")
	}
	token, err := signIn(t, p, id, code, "Chosen-Password-1")
	if err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	c := claims(t, token)
	if c["username"] != id || c["token_use"] != "access" || c["client_id"] != res.UserPoolClientID("UserPoolClient") {
		t.Errorf("access token claims %v: want username %s, token_use access, the web client", c, id)
	}
	if want := "https://cognito-idp." + p.Client.Options().Region + ".amazonaws.com/" + p.ID; c["iss"] != want {
		t.Errorf("iss %v, want %s", c["iss"], want)
	}
	if _, err := signIn(t, p, id, code, "Another-Password-2"); err == nil {
		t.Errorf("the code signed in a second time")
	}
	if again, err := p.FirstSignIn(ctx, id); err != nil || again != "" {
		t.Errorf("FirstSignIn after the first sign-in: %q %v, want no code (the password stays the user's)", again, err)
	}
	if _, err := signIn(t, p, id, "Chosen-Password-1", ""); err != nil {
		t.Errorf("signing in with the chosen password: %v", err)
	}
}

func TestNoCodeForSomeoneThePoolDoesNotKnow(t *testing.T) {
	if code, err := pool(t).FirstSignIn(ctx, "user-nobody"); err != nil || code != "" {
		t.Errorf("FirstSignIn: %q %v, want none", code, err)
	}
}

func TestACorrectedContactSignsInWithTheCorrectedEmail(t *testing.T) {
	p := pool(t)
	typo := actions.Person{UserID: "user-typo-1", Email: "tea@tredesing.example", Name: "Tea Tre", Language: "sv"}
	if _, err := p.Ensure(ctx, typo); err != nil {
		t.Fatal(err)
	}
	fixed := typo
	fixed.Email, fixed.Language = "Tea@tredesign.example", "en"
	if err := p.Change(ctx, fixed); err != nil {
		t.Fatalf("Change: %v", err)
	}
	if id, ok, err := p.Lookup(ctx, "tea@tredesign.example"); err != nil || !ok || id != typo.UserID {
		t.Errorf("the corrected e-mail finds %q %v %v, want %s", id, ok, err, typo.UserID)
	}
	if _, ok, _ := p.Lookup(ctx, typo.Email); ok {
		t.Errorf("the mistyped e-mail still signs in")
	}
	other := actions.Person{UserID: "user-other-1", Email: "someone@else.example", Name: "Sam Else"}
	if _, err := p.Ensure(ctx, other); err != nil {
		t.Fatal(err)
	}
	fixed.Email = "someone@else.example"
	if err := p.Change(ctx, fixed); !errors.Is(err, actions.ErrEmailTaken) {
		t.Errorf("Change to another user's e-mail: %v, want ErrEmailTaken", err)
	}
	if err := p.Change(ctx, actions.Person{UserID: "user-unknown-1", Email: "new@else.example", Name: "New"}); err != nil {
		t.Errorf("Change of a user the pool lacks: %v, want them created", err)
	}
}

func TestSignInStateTellsWhetherTheFirstSignInIsDone(t *testing.T) {
	p := pool(t)
	if state, err := p.SignInState(ctx, "user-nobody-2"); err != nil || state != actions.SignInUnknown {
		t.Errorf("someone the pool does not know: %q %v, want %q", state, err, actions.SignInUnknown)
	}
	id, err := p.Ensure(ctx, actions.Person{UserID: "user-state-1", Email: "state@example.com", Name: "Stina State", Language: "sv"})
	if err != nil {
		t.Fatal(err)
	}
	if state, err := p.SignInState(ctx, id); err != nil || state != actions.SignInPending {
		t.Errorf("created: %q %v, want %q", state, err, actions.SignInPending)
	}
	code, err := p.FirstSignIn(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if state, _ := p.SignInState(ctx, id); state != actions.SignInPending {
		t.Errorf("with a first sign-in code: %q, want %q", state, actions.SignInPending)
	}
	if _, err := signIn(t, p, id, code, "Chosen-Password-1"); err != nil {
		t.Fatal(err)
	}
	if state, err := p.SignInState(ctx, id); err != nil || state != actions.SignedIn {
		t.Errorf("after the first sign-in: %q %v, want %q", state, err, actions.SignedIn)
	}
}
