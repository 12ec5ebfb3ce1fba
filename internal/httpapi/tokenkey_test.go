package httpapi_test

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/spiris/collab/infra/localaws"
)

// A rotation of the token key between an activation and its e-mail kills no link: the job names
// the key version its link was minted with, and a fresh e-mail worker environment, which would
// mint with the new key, sends the link the invitation was stored with.
func TestRotatingTheTokenKeyKillsNoLinkInFlight(t *testing.T) {
	h := newHarness(t)
	w := h.world(t)
	r := h.activate(t, w, "1001", "scanner", "")
	expect(t, r, 201, "")
	id := r.str("collaboration.id")

	sm := secretsmanager.NewFromConfig(h.cfg)
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(h.res.SecretARN("TokenKeySecret")),
		SecretString: aws.String(localaws.RandomSecret(64))}); err != nil {
		t.Fatal(err)
	}
	h.svc.TokenKeys = &perFunction{client: sm, secret: h.res.SecretARN("TokenKeySecret")} // every function starts afresh
	h.drain(t)

	var link string
	for _, m := range h.mails(t) {
		if len(m.To) == 1 && m.To[0] == w.ca+"@customer.test" {
			link = regexp.MustCompile(`/invitations/([A-Za-z0-9._~-]+)`).FindStringSubmatch(m.Body)[1]
		}
	}
	if link == "" {
		t.Fatalf("no invitation e-mail went out after the rotation: %v", h.mails(t))
	}
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+link+"/accept", ""), 200, "")
	if got := h.call(t, user(w.ca), "GET", "/collaborations/"+id, ""); got.str("collaboration.status") != "active" && got.str("status") != "active" {
		t.Fatalf("after accepting the link minted before the rotation: %s", got.Raw)
	}

	// After the rotation a new activation mints with the new key, and its link works too.
	r = h.activate(t, w, "1001", "payroll", "")
	expect(t, r, 201, "")
	expect(t, h.call(t, user(w.ca), "POST", "/invitations/"+h.token(t, r.str("collaboration.id"))+"/accept", ""), 200, "")
}
