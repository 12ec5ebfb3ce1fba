package actions

import (
	"context"

	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

// Authorization errors. Every action checks the caller against current data, so a user removed
// from a task or demoted from administrator loses the right at once.
var (
	errUnauthenticated = collab.Errorf(collab.EUNAUTHORIZED, "unauthenticated",
		"sign in and send the token as 'Authorization: Bearer <token>'", "the request carries no valid token")
	errNotEmployee = collab.Errorf(collab.EFORBIDDEN, "not_office_employee",
		"ask an administrator of the office to add you as an employee", "you are not an employee of this office")
	errNotOnTask = collab.Errorf(collab.EFORBIDDEN, "not_on_task",
		"ask an administrator of the office to assign you to a task of this customer",
		"you do not work on a task of this customer")
	errNotOfficeAdmin = collab.Errorf(collab.EFORBIDDEN, "office_administrator_required",
		"ask an administrator of the office", "only an administrator of the office may do this")
	errNotCompanyUser = collab.Errorf(collab.EFORBIDDEN, "not_company_user",
		"sign in as a user of the company", "you are not a user of this company")
	errNotAdministrator = collab.Errorf(collab.EFORBIDDEN, "administrator_required",
		"ask an administrator of the company to do this, or to make you an administrator",
		"only an administrator of the company may do this")
	errServiceOnly = collab.Errorf(collab.EFORBIDDEN, "service_only",
		"this route is for solution integrations, signed with their IAM role", "only a solution integration may report facts")
)

// officeEmployee reads the office items of refs with the caller as employee, in one round trip,
// and checks that the caller is an employee of the office. It returns EUNAUTHORIZED
// unauthenticated or EFORBIDDEN not_office_employee.
func (s *Service) officeEmployee(ctx context.Context, caller Caller, refs dynamo.OfficeRefs) (dynamo.OfficeFacts, error) {
	if caller.UserID == "" {
		return dynamo.OfficeFacts{}, errUnauthenticated
	}
	refs.EmployeeID = caller.UserID
	f, err := s.Store.OfficeItems(ctx, refs)
	if err != nil {
		return f, err
	}
	if f.Employee.UserID == "" {
		return f, errNotEmployee
	}
	return f, nil
}

// worksFor checks that an office employee may act for a collaboration's customer: as office
// administrator, or while assigned to a task of that customer (the collaboration's own task
// needs no read). It returns EFORBIDDEN not_on_task.
func (s *Service) worksFor(ctx context.Context, e collab.Employee, r collab.CollaborationRecord) error {
	if e.Role == collab.OfficeAdministrator || r.OnTask(e.UserID) {
		return nil
	}
	tasks, err := s.Store.CustomerTasks(ctx, e.OfficeID, r.CustomerNo)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.Assigned(e.UserID) {
			return nil
		}
	}
	return errNotOnTask
}

// side is which party a caller acts for on a collaboration.
type side int

const (
	anySide      side = iota // a company user of any role, or the office
	endingSide               // a company administrator, or the office
	officeSide               // the office only
	customerSide             // a company administrator only
)

// collaborationActor decides who the caller is for collaboration r and whether that party may do
// what need says. A user of the company is checked first, then an employee of the office working
// for the customer. known is the caller's parties when the action already read them; otherwise
// both are read in one round trip.
func (s *Service) collaborationActor(ctx context.Context, caller Caller, r collab.CollaborationRecord, need side, known *dynamo.Parties) (collab.Actor, error) {
	if caller.UserID == "" {
		return collab.Actor{}, errUnauthenticated
	}
	var p dynamo.Parties
	if known != nil {
		p = *known
	} else {
		companyID, officeID := r.CompanyID, r.OfficeID
		if need == officeSide {
			companyID = ""
		}
		if need == customerSide {
			officeID = ""
		}
		var err error
		if p, err = s.Store.PartiesOf(ctx, companyID, officeID, caller.UserID); err != nil {
			return collab.Actor{}, err
		}
	}
	if need != officeSide && p.User.ID != "" {
		if need != anySide && p.User.Role != collab.Administrator {
			return collab.Actor{}, errNotAdministrator
		}
		return actorOf(collab.CustomerUser, caller.UserID, r.CompanyID), nil
	}
	switch {
	case need == customerSide:
		return collab.Actor{}, errNotCompanyUser
	case p.Employee.UserID == "" && need == officeSide:
		return collab.Actor{}, errNotEmployee
	case p.Employee.UserID == "":
		return collab.Actor{}, errNotCompanyUser
	}
	if err := s.worksFor(ctx, p.Employee, r); err != nil {
		return collab.Actor{}, err
	}
	return actorOf(collab.OfficeEmployee, caller.UserID, r.OfficeID), nil
}

// companyActor decides who the caller is for a company's own data: a user of the company (an
// administrator when admin is true), or an office employee acting in the company through an
// active collaboration (a full access grant). It returns EFORBIDDEN not_company_user or
// administrator_required.
func companyActor(caller Caller, v dynamo.CompanyView, admin bool) (collab.Actor, error) {
	if caller.UserID == "" {
		return collab.Actor{}, errUnauthenticated
	}
	if u, ok := v.User(caller.UserID); ok {
		if admin && u.Role != collab.Administrator {
			return collab.Actor{}, errNotAdministrator
		}
		return actorOf(collab.CustomerUser, caller.UserID, v.Company.ID), nil
	}
	for _, g := range v.Grants {
		if g.UserID == caller.UserID && g.Mode == collab.FullAccess {
			return actorOf(collab.OfficeEmployee, caller.UserID, v.Company.ID), nil
		}
	}
	return collab.Actor{}, errNotCompanyUser
}
