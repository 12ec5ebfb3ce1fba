package actions

import (
	"context"
	"slices"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
)

// company reads a company's partition after checking the caller and the id.
func (s *Service) company(ctx context.Context, caller Caller, companyID string) (port.CompanyView, error) {
	if caller.UserID == "" && caller.Service == "" {
		return port.CompanyView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("companyId", companyID); err != nil {
		return port.CompanyView{}, err
	}
	return s.Store.Company(ctx, companyID)
}

// companyAdmin reads company companyID's partition (company) and decides who the caller is to
// it as one who would change its people (companyActor with admin: an administrator of the
// company, or an office employee acting in it).
func (s *Service) companyAdmin(ctx context.Context, caller Caller, companyID string) (port.CompanyView, collab.Actor, error) {
	v, err := s.company(ctx, caller, companyID)
	if err != nil {
		return v, collab.Actor{}, err
	}
	by, err := companyActor(caller, v, true)
	return v, by, err
}

// CompanyCollaborations lists a company's collaborations with every office, newest first, to
// its users. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN not_company_user; EINVALID
// id_invalid, cursor_invalid.
func (s *Service) CompanyCollaborations(ctx context.Context, caller Caller, companyID, cursor string, limit int) (ListView, error) {
	if caller.UserID == "" {
		return ListView{}, collab.ErrUnauthenticated
	}
	if err := collab.CheckID("companyId", companyID); err != nil {
		return ListView{}, err
	}
	u, ok, err := s.Store.CompanyUser(ctx, companyID, caller.UserID)
	if err != nil || !ok {
		if err == nil {
			err = collab.ErrNotCompanyUser
		}
		return ListView{}, err
	}
	page, err := s.Store.CompanyCollaborations(ctx, companyID, limit, cursor)
	if err != nil {
		return ListView{}, err
	}
	return listView(page, func(collab.CollaborationRecord) bool { return u.Role == collab.Administrator }), nil
}

// Users lists a company's users. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// not_company_user; ENOTFOUND company_not_found.
func (s *Service) Users(ctx context.Context, caller Caller, companyID string) ([]UserView, error) {
	v, err := s.company(ctx, caller, companyID)
	if err != nil {
		return nil, err
	}
	if _, err := companyActor(caller, v, false); err != nil {
		return nil, err
	}
	out := make([]UserView, len(v.Users))
	for i, u := range v.Users {
		out[i] = userView(u, v.Company)
	}
	return out, nil
}

func userView(u collab.User, c collab.Company) UserView {
	return UserView{ID: u.ID, Name: u.Name, Email: u.Email, Language: u.Language, Role: u.Role, MainContact: c.MainContact == u.ID}
}

// NewUserInput is the body of a create-user request.
type NewUserInput struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
	Role     string `json:"role"`
}

// CreateUser adds a user to a company, and e-mails them how to sign in (user_added, with their
// first sign-in link). It returns the authorization errors of SetMainContact and
// EINVALID field_required, email_invalid, language_invalid, role_invalid.
func (s *Service) CreateUser(ctx context.Context, caller Caller, companyID string, in NewUserInput) (UserView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err != nil {
		return UserView{}, err
	}
	lang, err := Contact{Name: in.Name, Email: in.Email, Language: in.Language}.check("")
	if err != nil {
		return UserView{}, err
	}
	role, err := collab.ParseRole(in.Role)
	if err != nil {
		return UserView{}, err
	}
	id, err := s.newUserID(ctx, in.Email)
	if err != nil {
		return UserView{}, err
	}
	u := collab.User{CompanyID: companyID, ID: id, Name: in.Name, Email: in.Email, Language: lang, Role: role, CreatedAt: s.Now()}
	company := v.Company
	company.AddUser(u)
	ch := s.change()
	s.addPerson(ch, u, false)
	ch.tx.PutCompany(company)
	ch.tx.PutUser(u)
	s.companyEvent(ch, companyID, collab.CompanyEvent{Actor: by, Kind: collab.UserCreated, UserID: u.ID, To: string(role)})
	s.noticeAdministrator(ch, by, role, v)
	s.enqueue(ch, Job{Kind: EmailQueue, Email: collab.EmailUserAdded, UserID: u.ID, About: &EmailFacts{CompanyID: companyID}})
	view := userView(u, company)
	return view, s.save(ctx, ch, view)
}

// RoleInput is the body of a change-role request.
type RoleInput struct {
	Role string `json:"role"`
}

// ChangeRole gives a company user another role. It returns the authorization errors of
// SetMainContact; ENOTFOUND user_not_found; EINVALID role_invalid; ECONFLICT last_administrator,
// main_contact_demotion, concurrent_update.
func (s *Service) ChangeRole(ctx context.Context, caller Caller, companyID, userID string, in RoleInput) (UserView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err != nil {
		return UserView{}, err
	}
	role, err := collab.ParseRole(in.Role)
	if err != nil {
		return UserView{}, err
	}
	u, ok := v.User(userID)
	if !ok {
		return UserView{}, collab.ErrUserNotFound
	}
	company, was := v.Company, u.Role
	if err := company.ChangeRole(&u, role); err != nil {
		return UserView{}, err
	}
	ch := s.change()
	ch.tx.PutCompany(company)
	ch.tx.PutUser(u)
	if was != u.Role {
		s.companyEvent(ch, companyID, collab.CompanyEvent{Actor: by, Kind: collab.RoleChanged, UserID: u.ID, From: string(was), To: string(u.Role)})
		s.noticeAdministrator(ch, by, u.Role, v)
	}
	view := userView(u, company)
	return view, s.save(ctx, ch, view)
}

// MainContactInput is the body of a set-main-contact request.
type MainContactInput struct {
	UserID string `json:"userId"`
}

// SetMainContact makes an administrator of the company its main contact. An administrator of the
// company may, or an office employee acting in the company through an active collaboration. The
// write depends on the user still being an administrator, so a concurrent demotion cannot leave a
// non-administrator as main contact. It returns EUNAUTHORIZED unauthenticated; EFORBIDDEN
// not_company_user, administrator_required; ENOTFOUND company_not_found, user_not_found;
// ECONFLICT user_not_administrator, concurrent_update.
func (s *Service) SetMainContact(ctx context.Context, caller Caller, companyID string, in MainContactInput) (UserView, error) {
	v, by, err := s.companyAdmin(ctx, caller, companyID)
	if err != nil {
		return UserView{}, err
	}
	if in.UserID == "" {
		return UserView{}, collab.ErrMainContactUnnamed
	}
	u, ok := v.User(in.UserID)
	if !ok {
		return UserView{}, collab.ErrUserNotFound
	}
	company, was := v.Company, v.Company.MainContact
	if err := company.SetMainContact(u); err != nil {
		return UserView{}, err
	}
	ch := s.change()
	ch.tx.PutCompany(company)
	ch.tx.RequireAdministrator(companyID, u.ID)
	if was != u.ID {
		s.companyEvent(ch, companyID, collab.CompanyEvent{Actor: by, Kind: collab.MainContactChanged, UserID: u.ID, From: was, To: u.ID})
	}
	view := userView(u, company)
	return view, s.save(ctx, ch, view)
}

// Access lists who may use which solution of a company and how: the company's own users through
// its subscriptions (full while active, read-only after an end that keeps data readable), and the
// office employees granted access by active collaborations. Users of the company, office
// employees acting in it, and solution integrations may ask. It returns EUNAUTHORIZED
// unauthenticated; EFORBIDDEN not_company_user; ENOTFOUND company_not_found.
func (s *Service) Access(ctx context.Context, caller Caller, companyID string) ([]AccessView, error) {
	v, err := s.company(ctx, caller, companyID)
	if err != nil {
		return nil, err
	}
	if caller.Service == "" {
		if _, err := companyActor(caller, v, false); err != nil {
			return nil, err
		}
	}
	out := []AccessView{}
	for _, solution := range sortedSolutions(v.Subscriptions) {
		mode, ok := collab.CompanyMode(v.Subscriptions[solution].Status)
		if !ok {
			continue
		}
		for _, u := range v.Users {
			out = append(out, AccessView{UserID: u.ID, Solution: solution, Mode: mode, Via: collab.GrantVia})
		}
	}
	for _, g := range v.Grants {
		out = append(out, AccessView{UserID: g.UserID, Solution: g.Solution, Mode: g.Mode, Via: g.Via})
	}
	return out, nil
}

func sortedSolutions(m map[collab.Solution]collab.Subscription) []collab.Solution {
	var out []collab.Solution
	for id := range collab.Solutions {
		if _, ok := m[id]; ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// FactsInput is what a solution integration reports about a company.
type FactsInput struct {
	CustomerIsPayrollUser        *bool    `json:"customerIsPayrollUser"`
	LastSyncAt                   *string  `json:"lastSyncAt"`   // RFC 3339
	LastChangeAt                 *string  `json:"lastChangeAt"` // RFC 3339
	UnsubmittedReports           *int     `json:"unsubmittedReports"`
	UsersWithUnsubmittedExpenses []string `json:"usersWithUnsubmittedExpenses"`
}

// ReportFacts records what a solution integration reports about a company (Payroll: Payroll
// user and synchronisation; Travel & Expenses: unsubmitted reports and expenses), replacing its
// previous report. Only the solution's integration may call it. It returns EFORBIDDEN service_only,
// integration_unknown, integration_not_for_solution;
// EINVALID solution_unknown, field_invalid; ENOTFOUND company_not_found.
func (s *Service) ReportFacts(ctx context.Context, caller Caller, companyID, solution string, in FactsInput) (FactsInput, error) {
	if caller.Service == "" {
		return in, s.integrationFor(caller, "")
	}
	if err := collab.CheckID("companyId", companyID); err != nil {
		return in, err
	}
	if _, err := collab.Rules(collab.Solution(solution)); err != nil {
		return in, err
	}
	if err := s.integrationFor(caller, collab.Solution(solution)); err != nil {
		return in, err
	}
	if in.UnsubmittedReports != nil && *in.UnsubmittedReports < 0 {
		return in, collab.FieldInvalid("unsubmittedReports", "report zero or more", "unsubmittedReports is negative")
	}
	if len(in.UsersWithUnsubmittedExpenses) > 1000 {
		return in, collab.FieldInvalid("usersWithUnsubmittedExpenses", "report at most 1000 users", "too many users")
	}
	for _, name := range in.UsersWithUnsubmittedExpenses {
		// The names are shown in the expenses blocker's message.
		if err := collab.CheckText("usersWithUnsubmittedExpenses", name, 200); err != nil {
			return in, err
		}
	}
	if _, err := s.Store.CompanyRecord(ctx, companyID); err != nil {
		return in, err
	}
	var err error
	f := collab.SolutionFacts{UsersWithUnsubmittedExpenses: in.UsersWithUnsubmittedExpenses, ReportedAt: s.Now()}
	if in.CustomerIsPayrollUser != nil {
		f.CustomerIsPayrollUser = *in.CustomerIsPayrollUser
	}
	if f.LastSyncAt, err = optionalTime("lastSyncAt", in.LastSyncAt); err != nil {
		return in, err
	}
	if f.LastChangeAt, err = optionalTime("lastChangeAt", in.LastChangeAt); err != nil {
		return in, err
	}
	if in.UnsubmittedReports != nil {
		f.UnsubmittedReports = *in.UnsubmittedReports
	}
	ch := s.change()
	ch.tx.PutFacts(companyID, collab.Solution(solution), f)
	return in, s.save(ctx, ch, in)
}

// optionalTime parses an optional RFC 3339 time, which must be writable in UTC
// (collab.CheckTime). It returns EINVALID field_invalid naming the field.
func optionalTime(field string, s *string) (time.Time, error) {
	if s == nil {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return time.Time{}, collab.FieldInvalid(field, "write "+field+" as an RFC 3339 time, e.g. 2027-01-31T17:00:00Z",
			"%s is not a time", field)
	}
	return t.UTC(), collab.CheckTime(field, t)
}

// noticeAdministrator queues, in ch, the e-mail that tells the company's administrators an office
// employee made someone an administrator (collab.AdministratorNotice).
func (s *Service) noticeAdministrator(ch *change, by collab.Actor, role collab.Role, v port.CompanyView) {
	if via := collab.AdministratorNotice(by, role, v.Grants); via != "" {
		s.enqueue(ch, Job{Kind: EmailQueue, CollaborationID: via, Email: EmailAdministratorAdded})
	}
}

// companyEvent adds e, at now, to the company's history in ch.
func (s *Service) companyEvent(ch *change, companyID string, e collab.CompanyEvent) {
	e.At = s.Now()
	ch.tx.AddCompanyEvent(companyID, s.NewID(), e)
}

// CompanyEventView is one entry of a company's history.
type CompanyEventView struct {
	At        time.Time `json:"at"`
	ActorKind string    `json:"actorKind"`
	ActorID   string    `json:"actorId,omitempty"`
	Event     string    `json:"event"`
	UserID    string    `json:"userId"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
}

// CompanyHistoryLimit is how many of its newest events a company's history shows.
const CompanyHistoryLimit = 100

// CompanyHistory returns the company's own history, newest first: users created, roles changed,
// main contacts changed, by whom and when. Only the company's administrators read it. It reads
// the company and its history partition (2 calls) and returns EUNAUTHORIZED unauthenticated;
// EINVALID id_invalid; ENOTFOUND company_not_found; EFORBIDDEN not_company_user,
// administrator_required.
func (s *Service) CompanyHistory(ctx context.Context, caller Caller, companyID string) ([]CompanyEventView, error) {
	_, by, err := s.companyAdmin(ctx, caller, companyID)
	if err == nil {
		err = collab.MayReadCompanyHistory(by)
	}
	if err != nil {
		return nil, err
	}
	events, err := s.Store.CompanyHistory(ctx, companyID, CompanyHistoryLimit)
	if err != nil {
		return nil, err
	}
	out := make([]CompanyEventView, len(events))
	for i, e := range events {
		out[i] = CompanyEventView{At: e.At, ActorKind: string(e.Actor.Kind), ActorID: e.Actor.UserID, Event: e.Kind,
			UserID: e.UserID, From: e.From, To: e.To}
	}
	return out, nil
}
