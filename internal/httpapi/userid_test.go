package httpapi_test

import (
	"testing"

	"github.com/spiris/collab/internal/httpapi"
)

func TestTheCallerIsTheUserThePoolNamesOrTheSubjectOfAnyOtherProvider(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]string
		want   string
	}{
		{"a_pool_access_token_names_the_user_by_username", map[string]string{"sub": "5f0c-uuid", "username": "anna", "token_use": "access", "client_id": "web"}, "anna"},
		{"a_pool_id_token_names_the_user_by_cognito_username", map[string]string{"sub": "5f0c-uuid", "cognito:username": "anna", "token_use": "id", "aud": "web"}, "anna"},
		{"another_providers_token_names_the_user_by_sub", map[string]string{"sub": "anna", "aud": "collaboration-api"}, "anna"},
		{"a_username_without_token_use_access_is_not_taken", map[string]string{"sub": "anna", "username": "bo"}, "anna"},
		{"no_claims_no_user", map[string]string{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := httpapi.UserIDOf(tc.claims); got != tc.want {
				t.Errorf("UserIDOf(%v) = %q, want %q", tc.claims, got, tc.want)
			}
		})
	}
}
