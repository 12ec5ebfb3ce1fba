package collab

// Who may do what. Every action checks its caller against current data (a user removed from a
// task or demoted from administrator loses the right at once); these are the rules, storage only
// reads what they need.

// Side is which party may do something to a collaboration.
type Side int

// The sides of a collaboration.
const (
	EitherSide  Side = iota // any user of the company, or the office working for the customer (reading it)
	EndingSide              // an administrator of the company, or the office working for the customer
	OfficeSide              // the office working for the customer only (resend, withdraw, link, renew)
	CompanySide             // an administrator of the company only (answering an invitation)
)

// Standing is what a user is to one collaboration's company and office, as read. Zero fields mean
// "not that": no role in the company, not an employee of the office, on no other task.
type Standing struct {
	UserID      string
	CompanyRole Role         // the user's role in the collaboration's company
	OfficeRole  EmployeeRole // the user's role at the collaboration's office
	// CustomerTask is a task of the collaboration's customer the user works on, besides the
	// collaboration's own (whose assignees the collaboration keeps).
	CustomerTask string
}

// Grounds is what an actor's right to act rests on, so that storage can require exactly that to
// be unchanged when it commits.
type Grounds int

// The grounds of a right.
const (
	AsCompanyUser    Grounds = iota + 1 // the user's role in the company
	AsEmployee                          // the employee's role, and the collaboration's assignees
	AsOnCustomerTask                    // the employee's role and their other task of the customer
)

// Party decides who the user in s is for collaboration r and whether that party may act on the
// side: a user of the company is considered first, then an employee of the office who
// administers it or works on a task of the customer, as the tasks are now (a collaboration that
// is over no longer follows its task, so its own assignees do not count). It returns the actor and what the right
// rests on, or EUNAUTHORIZED unauthenticated; EFORBIDDEN not_company_user,
// administrator_required, not_office_employee, not_on_task.
func (r CollaborationRecord) Party(s Standing, side Side) (Actor, Grounds, error) {
	if s.UserID == "" {
		return Actor{}, 0, ErrUnauthenticated
	}
	if side != OfficeSide && s.CompanyRole != "" {
		if side != EitherSide && s.CompanyRole != Administrator {
			return Actor{}, 0, ErrNotAdministrator
		}
		return Actor{Kind: CustomerUser, UserID: s.UserID, OrgID: r.CompanyID}, AsCompanyUser, nil
	}
	switch {
	case side == CompanySide:
		return Actor{}, 0, ErrNotCompanyUser
	case s.OfficeRole == "" && side == OfficeSide:
		return Actor{}, 0, ErrNotEmployee
	case s.OfficeRole == "":
		return Actor{}, 0, ErrNotCompanyUser
	}
	by := Actor{Kind: OfficeEmployee, UserID: s.UserID, OrgID: r.OfficeID}
	switch {
	case s.OfficeRole == OfficeAdministrator || !r.Status.Final() && r.OnTask(s.UserID):
		// A collaboration that is over keeps the assignees it had; who may read it now is
		// whoever works on a task of the customer now (CustomerTask, its own task included).
		return by, AsEmployee, nil
	case s.CustomerTask != "":
		return by, AsOnCustomerTask, nil
	}
	return Actor{}, 0, ErrNotOnTask
}

// SeesTeardown reports whether the actor, standing as s, sees why r's teardown is held up
// (teardownError): the office's employees with access to it and the company's administrators
// do; plain users of the company do not, as the failure is for those who can act on it.
func (r CollaborationRecord) SeesTeardown(by Actor, s Standing) bool {
	return by.Kind != CustomerUser || s.CompanyRole == Administrator
}

// InOverview reports whether an employee of the office sees r's teardown failure in the office's
// overview: its administrators and the employees on its task do (an employee on another task of
// the customer sees it on the collaboration itself).
func (r CollaborationRecord) InOverview(e Employee) bool {
	return e.Role == OfficeAdministrator || r.OnTask(e.UserID)
}

// OfficeActor decides whether e, as read for the user, acts for the office, as its administrator
// when admin is true. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN not_office_employee,
// office_administrator_required.
func OfficeActor(userID, officeID string, e Employee, admin bool) (Actor, error) {
	switch {
	case userID == "":
		return Actor{}, ErrUnauthenticated
	case e.UserID == "":
		return Actor{}, ErrNotEmployee
	case admin && e.Role != OfficeAdministrator:
		return Actor{}, ErrNotOfficeAdmin
	}
	return Actor{Kind: OfficeEmployee, UserID: userID, OrgID: officeID}, nil
}

// MayUseTask reports nil when employee e may connect a collaboration to task t (activating on
// it, or linking to it): an administrator of the office may, or an employee on the task. It
// returns EFORBIDDEN not_on_task.
func MayUseTask(e Employee, t Task) error {
	if e.Role != OfficeAdministrator && !t.Assigned(e.UserID) {
		return ErrNotOnTask
	}
	return nil
}

// CompanyActor decides who the user is for a company's own data (its users, its access list): a
// user of the company, an administrator when admin is true (u is the user as read, zero when the
// caller is none), or an office employee acting in the company through an active collaboration,
// which gives them a full access grant. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// not_company_user, administrator_required.
func CompanyActor(userID, companyID string, u User, grants []Grant, admin bool) (Actor, error) {
	if userID == "" {
		return Actor{}, ErrUnauthenticated
	}
	if u.ID != "" {
		if admin && u.Role != Administrator {
			return Actor{}, ErrNotAdministrator
		}
		return Actor{Kind: CustomerUser, UserID: userID, OrgID: companyID}, nil
	}
	for _, g := range grants {
		if g.UserID == userID && g.Mode == FullAccess {
			return Actor{Kind: OfficeEmployee, UserID: userID, OrgID: companyID}, nil
		}
	}
	return Actor{}, ErrNotCompanyUser
}
