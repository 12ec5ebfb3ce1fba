package devstack

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/golang-jwt/jwt/v5"

	"github.com/spiris/collab/infra/seed"
	"github.com/spiris/collab/internal/actions"
	"github.com/spiris/collab/internal/httpapi"
	"github.com/spiris/collab/internal/identity/cognito"
)

// DemoPassword is the password of every seeded person in the emulator's user pool.
const DemoPassword = "Demo-password-1"

// Identity is the local stack's side of the emulator's user pool (the template's UserPool):
// it verifies the pool's tokens as the HTTP API's JWT authorizer does (issuer, RS256 signature by
// a key of the pool's JWKS, expiry, the app client as aud or, without aud, client_id), signs people in with a
// password for the local sign-in page, and gets tests and `make token` a token for any user.
type Identity struct {
	Pool     *cognito.Pool
	ClientID string
	Issuer   string // https://cognito-idp.<region>.amazonaws.com/<pool id>, as moto and Cognito issue
	jwksURL  string // where the emulator serves the pool's keys: <endpoint>/<pool id>/.well-known/jwks.json

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey // by kid
	passwords map[string]string         // user id → the password Token set
}

// NewIdentity returns the identity of the pool poolID with the app client clientID, on the
// emulator at endpoint.
func NewIdentity(cfg aws.Config, endpoint, poolID, clientID string) *Identity {
	return &Identity{Pool: cognito.New(cfg, poolID), ClientID: clientID,
		Issuer:  "https://cognito-idp." + cfg.Region + ".amazonaws.com/" + poolID,
		jwksURL: strings.TrimRight(endpoint, "/") + "/" + poolID + "/.well-known/jwks.json",
		keys:    map[string]*rsa.PublicKey{}, passwords: map[string]string{}}
}

// Claims are a verified token's claims as API Gateway hands them to a function; Subject is the
// user id they name (httpapi.UserIDOf).
type Claims struct {
	Subject string
	All     map[string]string
}

// Verify checks a token as the JWT authorizer does and returns its claims.
func (p *Identity) Verify(token string) (Claims, error) {
	mc := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, mc, p.key, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(p.Issuer),
		jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
	if err != nil {
		return Claims{}, err
	}
	all := map[string]string{}
	for k, v := range mc {
		switch v := v.(type) {
		case string:
			all[k] = v
		case float64:
			all[k] = strconv.FormatInt(int64(v), 10)
		case []any:
			parts := make([]string, len(v))
			for i, s := range v {
				parts[i] = fmt.Sprint(s)
			}
			all[k] = strings.Join(parts, ",")
		}
	}
	// As API Gateway: aud when the token has one (ID tokens), else client_id (access tokens).
	if aud, ok := all["aud"]; ok && !slices.Contains(strings.Split(aud, ","), p.ClientID) || !ok && all["client_id"] != p.ClientID {
		return Claims{}, errors.New("devstack: the token is for another client")
	}
	return Claims{Subject: httpapi.UserIDOf(all), All: all}, nil
}

// key returns the pool's public key the token names, reading the JWKS again for a kid it does
// not know yet.
func (p *Identity) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.keys[kid]; ok {
		return k, nil
	}
	if err := p.readKeys(); err != nil {
		return nil, err
	}
	if k, ok := p.keys[kid]; ok {
		return k, nil
	}
	return nil, errors.New("devstack: the token's key is not the pool's")
}

func (p *Identity) readKeys() error {
	resp, err := http.Get(p.jwksURL)
	if err != nil {
		return fmt.Errorf("devstack: the pool's keys: %w", err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Kty, N, E string } `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("devstack: the pool's keys: %s %v", resp.Status, err)
	}
	for _, k := range set.Keys {
		n, nerr := base64.RawURLEncoding.DecodeString(k.N)
		e, eerr := base64.RawURLEncoding.DecodeString(k.E)
		if k.Kty != "RSA" || nerr != nil || eerr != nil {
			continue
		}
		p.keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return nil
}

// Seed puts the seeded people in the pool, each with DemoPassword and nothing left to do at the
// first sign-in.
func (p *Identity) Seed(ctx context.Context, people []seed.Person) error {
	for _, person := range people {
		id, err := p.Pool.Ensure(ctx, actions.Person{UserID: person.UserID, Email: person.Email, Name: person.Name})
		if err != nil {
			return err
		}
		if err := p.setPassword(ctx, id, DemoPassword); err != nil {
			return err
		}
	}
	return nil
}

func (p *Identity) setPassword(ctx context.Context, userID, password string) error {
	_, err := p.Pool.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &p.Pool.ID,
		Username: &userID, Password: &password, Permanent: true})
	if err != nil {
		return fmt.Errorf("devstack: set a password: %w", err)
	}
	return nil
}
