package mail

import (
	"errors"
	"strings"
)

// How a send can fail, as a Mailer reports it (errors.Is). Any other error is a failure worth
// retrying as it is (a network fault, throttling the SDK's retries did not outlast).
var (
	// ErrRejected marks a send the mail service refused for good because of the recipient: an
	// address it cannot deliver to (malformed, on a suppression list). Retrying cannot help, so
	// the worker records the recipient as rejected and the office is shown it.
	ErrRejected = errors.New("mail: recipient rejected")
	// ErrSenderUnavailable marks a send the mail service refused because of the sender: its
	// identity or MAIL FROM domain is not verified, sending is paused for the account or its
	// configuration set, the configuration set does not exist, or the daily quota or the sending
	// rate is exceeded. No recipient is at fault and the e-mail goes out once an operator fixes
	// the cause (or the quota allows), so the job must be retried, and dead-lettered while the
	// cause lasts, never recorded as rejected.
	ErrSenderUnavailable = errors.New("mail: sender cannot send")
)

// Redact replaces every e-mail address in s (anything with a local part before an "@") with
// "<address>". The mail service's error texts can name the recipient or the sender, and no
// address may reach a log line or a stored error.
func Redact(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			b.WriteString(s)
			return b.String()
		}
		start, end := at, at+1
		for start > 0 && inAddress(s[start-1]) {
			start--
		}
		for end < len(s) && inAddress(s[end]) {
			end++
		}
		if start == at { // no local part ("@domain"): names no one
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:start])
			b.WriteString("<address>")
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
