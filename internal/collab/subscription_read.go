package collab

// MayReadSubscriptions reports nil when the actor, as CompanyActor decided for an administrator,
// may read the company's subscriptions: its own administrators may; an office employee acting in
// the company may not, as the subscriptions name every office whose collaboration uses them and
// which office pays, which one office is not told of another. It returns EFORBIDDEN
// not_company_user.
func MayReadSubscriptions(by Actor) error {
	if by.Kind != CustomerUser {
		return ErrNotCompanyUser
	}
	return nil
}

// WhoPays is who receives a subscription's invoice as the API names it: the office or the
// customer, or "none" when nobody pays (a subscription opened by an invitation not yet accepted,
// or one that ended).
func (s Subscription) WhoPays() string {
	if s.InvoiceRecipient == "" {
		return "none"
	}
	return string(s.InvoiceRecipient)
}

// ModeOf is the access mode the company's own users have under the subscription, as the API
// names it: full, read_only, or "none" (pending or ended).
func (s Subscription) ModeOf() string {
	if m, ok := CompanyMode(s.Status); ok {
		return string(m)
	}
	return "none"
}
