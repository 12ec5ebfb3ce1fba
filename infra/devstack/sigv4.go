package devstack

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// SigningService is the service name the HTTP API's IAM authorizer checks in a request's
// Signature Version 4 credential scope.
const SigningService = "execute-api"

// signatureMaxSkew is how far a signed request's X-Amz-Date may be from the gateway's clock, as
// in AWS.
const signatureMaxSkew = 5 * time.Minute

// localAccount is the account id the local stack's ARNs carry (moto's default).
const localAccount = "000000000000"

// Integration is the credentials of one simulated solution's integration: the access key the
// local gateway knows, and the role a request signed with it reaches the handlers as. A
// developer signs requests with them by hand (.local/dev.json, docs/local.md).
type Integration struct {
	Solution        collab.Solution `json:"solution"`
	AccessKeyID     string          `json:"accessKeyId"`
	SecretAccessKey string          `json:"secretAccessKey"`
	RoleARN         string          `json:"roleArn"`
}

// Credentials returns the integration's credentials for the SDK's signer.
func (i Integration) Credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: i.AccessKeyID, SecretAccessKey: i.SecretAccessKey, Source: "devstack"}
}

// newIntegrations gives every solution's integration an access key of its own and a new random
// secret, and the role ARN of the role it would assume in AWS: <solution>-integration, the
// default of INTEGRATION_ROLES.
func newIntegrations() []Integration {
	ids := make([]string, 0, len(collab.Solutions))
	for id := range collab.Solutions {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	out := make([]Integration, len(ids))
	for i, id := range ids {
		secret := make([]byte, 30)
		rand.Read(secret)
		out[i] = Integration{Solution: collab.Solution(id),
			AccessKeyID:     "AKIALOCAL" + strings.ToUpper(strings.ReplaceAll(id, "-", "")),
			SecretAccessKey: base64.RawURLEncoding.EncodeToString(secret),
			RoleARN:         "arn:aws:sts::" + localAccount + ":assumed-role/" + id + "-integration/local"}
	}
	return out
}

// sigV4 verifies requests to the routes behind the HTTP API's IAM authorizer locally: a request
// must be signed with AWS Signature Version 4 by a key of keys, for the service execute-api in
// region, within 5 minutes of now, over exactly the method, path, query, signed headers and body
// received.
type sigV4 struct {
	keys   []Integration
	region string
	now    func() time.Time
}

// verify returns the role ARN of the integration that signed r, whose body the caller has read
// already, or why it refuses the request (the gateway answers 403 with it).
func (v sigV4) verify(r *http.Request, body []byte) (string, *httpapi.ErrorDetail) {
	fix := "sign the request with AWS Signature Version 4 (service " + SigningService + ", region " + v.region +
		") using an integration's access key from .local/dev.json (docs/local.md, Simulated solutions and signed requests)"
	refuse := func(code, msg string) (string, *httpapi.ErrorDetail) {
		return "", &httpapi.ErrorDetail{Code: code, Message: msg, Fix: fix}
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return refuse("missing_authentication", "this route takes requests signed with AWS Signature Version 4 only")
	}
	fields := map[string]string{}
	for _, part := range strings.Split(auth, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = val
	}
	scope := strings.Split(fields["Credential"], "/")
	signed := strings.Split(fields["SignedHeaders"], ";")
	if len(scope) != 5 || fields["Signature"] == "" || fields["SignedHeaders"] == "" {
		return refuse("authorization_malformed", "the Authorization header needs Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders and Signature")
	}
	key := slices.IndexFunc(v.keys, func(i Integration) bool { return i.AccessKeyID == scope[0] })
	if key < 0 {
		return refuse("unknown_access_key", "the local stack knows no access key "+strconv.Quote(scope[0]))
	}
	if scope[2] != v.region || scope[3] != SigningService || scope[4] != "aws4_request" {
		return refuse("credential_scope_invalid", "the credential scope must be <date>/"+v.region+"/"+SigningService+"/aws4_request")
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || !slices.Contains(signed, "x-amz-date") || !slices.Contains(signed, "host") {
		return refuse("authorization_malformed", "the request needs an X-Amz-Date header (20060102T150405Z), and it and Host must be signed")
	}
	if scope[1] != at.Format("20060102") {
		return refuse("credential_scope_invalid", "the credential scope's date is not the date of X-Amz-Date")
	}
	if skew := v.now().Sub(at); skew > signatureMaxSkew || skew < -signatureMaxSkew {
		return refuse("signature_expired", "the request was signed at "+at.Format(time.RFC3339)+", more than 5 minutes from now")
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return refuse("signature_mismatch", "X-Amz-Content-Sha256 is not the SHA-256 of the body received")
	}

	canonical := strings.Join([]string{r.Method, escape(r.URL.EscapedPath(), true), canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, signed), fields["SignedHeaders"], payload}, "\n")
	hashed := sha256.Sum256([]byte(canonical))
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", r.Header.Get("X-Amz-Date"), strings.Join(scope[1:], "/"),
		hex.EncodeToString(hashed[:])}, "\n")
	k := hmacSHA256([]byte("AWS4"+v.keys[key].SecretAccessKey), scope[1])
	for _, part := range scope[2:] {
		k = hmacSHA256(k, part)
	}
	want := hex.EncodeToString(hmacSHA256(k, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return refuse("signature_mismatch", "the signature does not match the request received (method, path, query, signed headers or body)")
	}
	return v.keys[key].RoleARN, nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalHeaders is the canonical headers block: each signed header, lower-case, with its
// values trimmed, inner runs of spaces collapsed, joined by commas. Go's server moves Host and a
// body's Content-Length out of the header map, so they are read from the request.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		values := r.Header.Values(name)
		switch {
		case name == "host":
			values = []string{r.Host}
		case name == "content-length" && len(values) == 0:
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		clean := make([]string, len(values))
		for i, val := range values {
			clean[i] = strings.Join(strings.Fields(val), " ")
		}
		fmt.Fprintf(&b, "%s:%s\n", name, strings.Join(clean, ","))
	}
	return b.String()
}

// canonicalQuery is the query with every name and value escaped, sorted by name, then value.
func canonicalQuery(q url.Values) string {
	var params [][2]string
	for k, vs := range q {
		for _, val := range vs {
			params = append(params, [2]string{escape(k, false), escape(val, false)})
		}
	}
	slices.SortFunc(params, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

// escape percent-encodes every byte outside RFC 3986's unreserved characters (and "/" when
// keepSlash), in upper-case hex. The canonical URI is the path as received escaped once more, as
// Signature Version 4 does for every service but S3.
func escape(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
