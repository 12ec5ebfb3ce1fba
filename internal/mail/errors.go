package mail

import (
	"errors"
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
