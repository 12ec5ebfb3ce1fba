// Package logs writes the functions' log lines: JSON, one object a line, each carrying the ids
// an on-call engineer searches by (the function, the Lambda request id, the API Gateway request
// id, the collaboration, the X-Ray trace, cold_start on an environment's first invocation), and
// none of the personal data or secrets a message or an error text may hold: e-mail addresses and
// invitation tokens are redacted from every string before it is written.
package logs

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a logger writing JSON lines to w, with the ids of each line's context.
func New(w io.Writer) *slog.Logger {
	return slog.New(&handler{next: slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: redactAttr})})
}

type ids struct {
	api, collaboration, trace string
	cold                      bool
}

type idsKey struct{}

func idsOf(ctx context.Context) ids {
	v, _ := ctx.Value(idsKey{}).(ids)
	return v
}

// invoked is set by the environment's first invocation.
var invoked atomic.Bool

// Invocation returns ctx for one invocation of a handler: its lines carry cold_start when it is
// the first of this execution environment, and the X-Ray trace id the Lambda runtime handed it.
// Every Lambda entry point calls it first.
func Invocation(ctx context.Context) context.Context {
	return with(ctx, func(v *ids) {
		v.cold = invoked.CompareAndSwap(false, true)
		if t, ok := ctx.Value("x-amzn-trace-id").(string); ok { // the key the aws-lambda-go runtime uses
			v.trace = t
		}
	})
}

// WithAPIRequest returns ctx whose lines carry API Gateway's request id.
func WithAPIRequest(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *ids) { v.api = id })
}

// WithCollaboration returns ctx whose lines carry a collaboration's id.
func WithCollaboration(ctx context.Context, id string) context.Context {
	return with(ctx, func(v *ids) { v.collaboration = id })
}

// WithTrace returns ctx whose lines carry an X-Ray trace header (from a queue message, for a
// worker following the request that queued it).
func WithTrace(ctx context.Context, header string) context.Context {
	return with(ctx, func(v *ids) { v.trace = header })
}

func with(ctx context.Context, set func(*ids)) context.Context {
	v := idsOf(ctx)
	set(&v)
	return context.WithValue(ctx, idsKey{}, v)
}

// Trace returns the X-Ray trace header of ctx, to pass on with the work it queues.
func Trace(ctx context.Context) string { return idsOf(ctx).trace }

// Attrs returns the ids of ctx as log attributes, for writers of their own lines (metrics).
func Attrs(ctx context.Context) []slog.Attr {
	var out []slog.Attr
	lc, _ := lambdacontext.FromContext(ctx)
	if fn := functionName(lc); fn != "" {
		out = append(out, slog.String("function", fn))
	}
	if lc != nil && lc.AwsRequestID != "" {
		out = append(out, slog.String("request_id", lc.AwsRequestID))
	}
	v := idsOf(ctx)
	if v.api != "" {
		out = append(out, slog.String("api_request_id", v.api))
	}
	if v.collaboration != "" {
		out = append(out, slog.String("collaboration_id", v.collaboration))
	}
	if v.trace != "" {
		out = append(out, slog.String("trace_id", v.trace))
	}
	if v.cold {
		out = append(out, slog.Bool("cold_start", true))
	}
	return out
}

// functionName is the function's name in AWS (AWS_LAMBDA_FUNCTION_NAME), or else the one its
// invocation's ARN names (the tests', the local runner's).
func functionName(lc *lambdacontext.LambdaContext) string {
	if lambdacontext.FunctionName != "" {
		return lambdacontext.FunctionName
	}
	if lc != nil {
		if _, fn, ok := strings.Cut(lc.InvokedFunctionArn, ":function:"); ok {
			fn, _, _ = strings.Cut(fn, ":")
			return fn
		}
	}
	return ""
}

type handler struct {
	next slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	r.Message = Redact(r.Message)
	r.AddAttrs(Attrs(ctx)...)
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(as)}
}

func (h *handler) WithGroup(name string) slog.Handler { return &handler{next: h.next.WithGroup(name)} }

// Redact returns s with every e-mail address (SES error texts and user input may carry one)
// replaced by "<address>" and every invitation-token secret ("~" and 43 base64url characters)
// by "~<secret>": what no log line and no stored error text may show.
func Redact(s string) string { return redactTokens(redactAddresses(s)) }

// redactAddresses replaces every e-mail address in s (anything with a local part before an "@")
// with "<address>".
func redactAddresses(s string) string {
	return replaceSpans(s, '@', "<address>", func(s string, at int) (int, int, bool) {
		start, end := at, at+1
		for start > 0 && inAddress(s[start-1]) {
			start--
		}
		for end < len(s) && inAddress(s[end]) {
			end++
		}
		return start, end, start != at // no local part ("@domain"): names no one
	})
}

// replaceSpans rewrites s at each occurrence of mark: span gives the part of s around the
// occurrence at i (start ≤ i < end) and whether to replace it with repl; everything else is
// kept as it is.
func replaceSpans(s string, mark byte, repl string, span func(s string, i int) (start, end int, replace bool)) string {
	if strings.IndexByte(s, mark) < 0 {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, mark)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start, end, replace := span(s, i)
		if replace {
			b.WriteString(s[:start])
			b.WriteString(repl)
		} else {
			b.WriteString(s[:end])
		}
		s = s[end:]
	}
}

// inAddress reports whether c can be part of an e-mail address as error texts print one: not
// white space, a control character or a delimiter around addresses. Bytes of non-ASCII UTF-8
// characters count as part of it (internationalized addresses).
func inAddress(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	return !strings.ContainsRune(`<>()[],;:"'\`, rune(c))
}

// tokenSecretLen is the length of an invitation token's secret: unpadded base64url of 32 bytes.
const tokenSecretLen = 43

// redactTokens replaces the secret of every invitation token in s with "<secret>".
func redactTokens(s string) string {
	return replaceSpans(s, '~', "<secret>", func(s string, i int) (int, int, bool) {
		n := 0
		for n < tokenSecretLen && i+1+n < len(s) && base64URL(s[i+1+n]) {
			n++
		}
		return i + 1, i + 1 + n, n == tokenSecretLen
	})
}

func base64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindString {
		a.Value = slog.StringValue(Redact(a.Value.String()))
	}
	return a
}
