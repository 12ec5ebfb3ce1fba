package actions

import (
	"context"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// officeEmployee reads the office items of refs with the caller as employee, in one round trip,
// and checks that the caller is an employee of the office (its administrator when admin is true).
// It returns the errors of collab.OfficeActor.
func (s *Service) officeEmployee(ctx context.Context, caller Caller, refs port.OfficeRefs, admin bool) (port.OfficeFacts, collab.Actor, error) {
	if caller.UserID == "" {
		return port.OfficeFacts{}, collab.Actor{}, collab.ErrUnauthenticated
	}
	refs.EmployeeID = caller.UserID
	f, err := s.Store.OfficeItems(ctx, refs)
	if err != nil {
		return f, collab.Actor{}, err
	}
	by, err := collab.OfficeActor(caller.UserID, refs.OfficeID, f.Employee, admin)
	return f, by, err
}

// standing is what the user and employee items p, as read, make the caller to collaboration r.
func standing(caller Caller, p port.Parties) collab.Standing {
	st := collab.Standing{UserID: caller.UserID}
	if p.User.ID != "" {
		st.CompanyRole = p.User.Role
	}
	if p.Employee.UserID != "" {
		st.OfficeRole = p.Employee.Role
	}
	return st
}

// collaborationActor decides who the caller is for collaboration r and whether that party may act
// on the side (collab.CollaborationRecord.Party). known is the caller's user and employee items
// when the action already read them; otherwise both are read in one round trip. The customer's
// tasks are read only when the rule needs them: for an employee who neither administers the
// office nor works on r's own task.
func (s *Service) collaborationActor(ctx context.Context, caller Caller, r collab.CollaborationRecord, side collab.Side, known *port.Parties) (collab.Actor, error) {
	if caller.UserID == "" {
		return collab.Actor{}, collab.ErrUnauthenticated
	}
	var p port.Parties
	if known != nil {
		p = *known
	} else {
		companyID, officeID := r.CompanyID, r.OfficeID
		if side == collab.OfficeSide {
			companyID = ""
		}
		if side == collab.CompanySide {
			officeID = ""
		}
		var err error
		if p, err = s.Store.PartiesOf(ctx, companyID, officeID, caller.UserID); err != nil {
			return collab.Actor{}, err
		}
	}
	st := standing(caller, p)
	by, _, err := r.Party(st, side)
	if err != collab.ErrNotOnTask {
		return by, err
	}
	if st.CustomerTask, err = s.customerTask(ctx, r, caller.UserID); err != nil {
		return collab.Actor{}, err
	}
	by, _, err = r.Party(st, side)
	return by, err
}

// customerTask returns a task of r's customer the user works on, or "".
func (s *Service) customerTask(ctx context.Context, r collab.CollaborationRecord, user string) (string, error) {
	tasks, err := s.Store.CustomerTasks(ctx, r.OfficeID, r.CustomerNo)
	for _, t := range tasks {
		if t.Assigned(user) {
			return t.ID, err
		}
	}
	return "", err
}

// companyActor decides who the caller is for a company's own data (collab.CompanyActor), from
// the company's partition as read.
func companyActor(caller Caller, v port.CompanyView, admin bool) (collab.Actor, error) {
	u, _ := v.User(caller.UserID)
	return collab.CompanyActor(caller.UserID, v.Company.ID, u, v.Grants, admin)
}

// party is who the caller is to a collaboration, and what that rests on, for the commit to
// require unchanged.
type party struct {
	by      collab.Actor
	proof   port.Proof
	grounds collab.Grounds
}

// require adds to ch that what the party's right rests on is unchanged since it was read.
func (p party) require(ch *change) { ch.tx.RequireParty(p.proof, p.grounds) }

// partyOf decides who the caller is to collaboration r on the side, from the caller's
// memberships m as read with r (collab.CollaborationRecord.Party). When they do not make the
// caller a party that may (an entry is missing, or was written around the service), it decides
// again on the user and employee items themselves (and the customer's tasks), which costs a read
// or two more and is the authoritative answer.
func (s *Service) partyOf(ctx context.Context, caller Caller, r collab.CollaborationRecord, m port.Memberships, side collab.Side) (party, error) {
	if caller.UserID == "" {
		return party{}, collab.ErrUnauthenticated
	}
	st, proof := m.Standing(r, caller.UserID)
	by, grounds, err := r.Party(st, side)
	if collab.ErrorKind(err) == collab.EFORBIDDEN {
		if st, proof, err = s.Store.StandingOf(ctx, r, caller.UserID, side); err != nil {
			return party{}, err
		}
		by, grounds, err = r.Party(st, side)
	}
	return party{by, proof, grounds}, err
}

// collaborationFor loads collaboration id with the caller's memberships in one BatchGetItem and
// decides who the caller is to it on the side (partyOf). It returns EUNAUTHORIZED
// unauthenticated; EINVALID id_invalid; ENOTFOUND collaboration_not_found; and the errors of
// collab.CollaborationRecord.Party.
func (s *Service) collaborationFor(ctx context.Context, caller Caller, id string, side collab.Side) (*collab.Collaboration, party, error) {
	if caller.UserID == "" {
		return nil, party{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("id", id); err != nil {
		return nil, party{}, err
	}
	c, m, err := s.Store.CollaborationFor(ctx, id, caller.UserID)
	if err != nil {
		return nil, party{}, err
	}
	p, err := s.partyOf(ctx, caller, c.Record(), m, side)
	return c, p, err
}
