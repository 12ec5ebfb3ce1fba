// Package seed loads a local stack with offices, employees, customers, tasks and companies from a
// JSON file (docs/local.md describes the format; demo.json is the demo data make dev loads).
package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spiris/collab/internal/actions/port"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/dynamo"
)

// File is the seed format.
type File struct {
	Offices   []Office  `json:"offices"`
	Companies []Company `json:"companies"`
	// Imported are active collaborations moved over from the older tool, without a task.
	Imported []Imported `json:"imported"`
}

// Office is an accounting office with its people, customers and tasks.
type Office struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Employees []Employee `json:"employees"`
	Customers []Customer `json:"customers"`
	Tasks     []Task     `json:"tasks"`
}

// Employee works at an office; role is "administrator" or "employee".
type Employee struct {
	UserID   string `json:"userId"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
	Role     string `json:"role"`
}

// Customer is a customer of an office; companyId links it to a company of the file, orgNo lets
// activation find the company by organisation number, neither makes it a new company.
type Customer struct {
	CustomerNo string `json:"customerNo"`
	Name       string `json:"name"`
	OrgNo      string `json:"orgNo"`
	CompanyID  string `json:"companyId"`
}

// Task is an engagement for one customer, with the employees on it.
type Task struct {
	TaskID     string   `json:"taskId"`
	CustomerNo string   `json:"customerNo"`
	Name       string   `json:"name"`
	Assignees  []string `json:"assignees"`
}

// Company is a customer company with its users and subscriptions.
type Company struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	OrgNo         string         `json:"orgNo"`
	MainContact   string         `json:"mainContact"`
	Users         []User         `json:"users"`
	Subscriptions []Subscription `json:"subscriptions"`
}

// User is a user of a company; role is "administrator" or "user".
type User struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Language string `json:"language"`
	Role     string `json:"role"`
}

// Subscription is a company's subscription to a solution.
type Subscription struct {
	Solution         string `json:"solution"`
	Status           string `json:"status"`           // active, read_only, ended
	InvoiceRecipient string `json:"invoiceRecipient"` // customer (default) or office
}

// Imported is an active collaboration of the older tool (collab.ImportInput).
type Imported struct {
	ID               string    `json:"id"`
	OfficeID         string    `json:"officeId"`
	CustomerNo       string    `json:"customerNo"`
	CompanyID        string    `json:"companyId"`
	Solution         string    `json:"solution"`
	InvoiceRecipient string    `json:"invoiceRecipient"` // customer (default) or office
	Since            time.Time `json:"since"`            // when it became active there (optional)
}

// Person is someone who can sign in locally, for the login page and the startup banner.
type Person struct {
	UserID, Name, Email, Role, Org string
}

// Parse reads a seed file strictly (unknown fields are errors, so a typo is not silently lost).
func Parse(r io.Reader) (File, error) {
	var f File
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("seed: %w", err)
	}
	return f, nil
}

// People lists everyone in the file who can sign in.
func (f File) People() []Person {
	var out []Person
	for _, o := range f.Offices {
		for _, e := range o.Employees {
			out = append(out, Person{UserID: e.UserID, Name: e.Name, Email: e.Email, Role: "office " + e.Role, Org: o.Name})
		}
	}
	for _, c := range f.Companies {
		for _, u := range c.Users {
			role := u.Role
			if u.ID == c.MainContact {
				role += ", main contact"
			}
			out = append(out, Person{UserID: u.ID, Name: u.Name, Email: u.Email, Role: "company " + role, Org: c.Name})
		}
	}
	return out
}

// Load writes the file into the store. Offices, employees, customers and tasks are upserts; a
// company that already exists is left as it is (loading twice changes nothing).
func Load(ctx context.Context, store *dynamo.Store, f File, now time.Time) error {
	tx := store.Tx()
	flush := func() error {
		if tx.Len() == 0 {
			return nil
		}
		err := tx.Commit(ctx)
		tx = store.Tx()
		return err
	}
	for _, o := range f.Offices {
		tx.PutOffice(collab.Office{ID: o.ID, Name: o.Name})
		for _, e := range o.Employees {
			lang, err := collab.ParseLanguage("language", e.Language)
			if err != nil {
				return fmt.Errorf("seed: employee %s: %w", e.UserID, err)
			}
			role, err := collab.ParseEmployeeRole(e.Role)
			if err != nil {
				return fmt.Errorf("seed: employee %s: %w", e.UserID, err)
			}
			tx.PutEmployee(collab.Employee{OfficeID: o.ID, UserID: e.UserID, Name: e.Name, Email: e.Email, Language: lang, Role: role})
		}
		for _, c := range o.Customers {
			tx.PutCustomer(collab.Customer{OfficeID: o.ID, No: c.CustomerNo, Name: c.Name, OrgNo: c.OrgNo, CompanyID: c.CompanyID})
		}
		for _, t := range o.Tasks {
			tx.PutTask(collab.Task{OfficeID: o.ID, ID: t.TaskID, CustomerNo: t.CustomerNo, Name: t.Name, Assignees: t.Assignees})
		}
		if err := flush(); err != nil {
			return fmt.Errorf("seed: office %s: %w", o.ID, err)
		}
	}
	for _, c := range f.Companies {
		if _, err := store.CompanyRecord(ctx, c.ID); err == nil {
			continue
		} else if collab.ErrorCode(err) != "company_not_found" {
			return err
		}
		co := collab.Company{ID: c.ID, Name: c.Name, OrgNo: c.OrgNo, CreatedAt: now}
		for _, u := range c.Users {
			lang, err := collab.ParseLanguage("language", u.Language)
			if err != nil {
				return fmt.Errorf("seed: user %s: %w", u.ID, err)
			}
			role, err := collab.ParseRole(u.Role)
			if err != nil {
				return fmt.Errorf("seed: user %s: %w", u.ID, err)
			}
			user := collab.User{CompanyID: c.ID, ID: u.ID, Name: u.Name, Email: u.Email, Language: lang, Role: role, CreatedAt: now}
			co.AddUser(user)
			if u.ID == c.MainContact {
				if err := co.SetMainContact(user); err != nil {
					return fmt.Errorf("seed: company %s: %w", c.ID, err)
				}
			}
			tx.PutUser(user)
		}
		if c.MainContact != "" && co.MainContact == "" {
			return fmt.Errorf("seed: company %s: main contact %s is not one of its users", c.ID, c.MainContact)
		}
		for _, s := range c.Subscriptions {
			if _, err := collab.Rules(collab.Solution(s.Solution)); err != nil {
				return fmt.Errorf("seed: company %s: %w", c.ID, err)
			}
			recipient := collab.InvoiceRecipient(s.InvoiceRecipient)
			if recipient == "" {
				recipient = collab.InvoiceCustomer
			}
			tx.PutSubscription(collab.Subscription{CompanyID: c.ID, Solution: collab.Solution(s.Solution),
				Status: collab.SubscriptionStatus(s.Status), InvoiceRecipient: recipient, UpdatedAt: now})
		}
		tx.PutCompany(co)
		if err := flush(); err != nil {
			return fmt.Errorf("seed: company %s: %w", c.ID, err)
		}
	}
	return loadImported(ctx, store, f.Imported, now)
}

// loadImported moves the older tool's collaborations over with dynamo.Store.Import: each one not
// here yet, in a slot (office, customer, solution) that has no collaboration that is not over.
func loadImported(ctx context.Context, store *dynamo.Store, imported []Imported, now time.Time) error {
	var cs []*collab.Collaboration
	slots := map[string]bool{}
	for _, in := range imported {
		slot := in.OfficeID + "/" + in.CustomerNo + "/" + in.Solution
		if slots[slot] {
			return fmt.Errorf("seed: imported %s: another imported collaboration has customer %s of office %s in %s", in.ID, in.CustomerNo, in.OfficeID, in.Solution)
		}
		slots[slot] = true
		if _, err := store.Collaboration(ctx, in.ID); err == nil {
			continue // loaded before
		} else if collab.ErrorCode(err) != "collaboration_not_found" {
			return err
		}
		c, err := collab.Import(collab.ImportInput{ID: in.ID, OfficeID: in.OfficeID, CustomerNo: in.CustomerNo, CompanyID: in.CompanyID,
			Solution: collab.Solution(in.Solution), InvoiceRecipient: collab.InvoiceRecipient(in.InvoiceRecipient), Since: in.Since}, now)
		if err != nil {
			return fmt.Errorf("seed: imported %s: %w", in.ID, err)
		}
		f, err := store.OfficeItems(ctx, port.OfficeRefs{OfficeID: in.OfficeID, CustomerNo: in.CustomerNo, CustomerOpen: true})
		if err != nil {
			return err
		}
		if slices.Contains(f.Open, collab.Solution(in.Solution)) {
			return fmt.Errorf("seed: imported %s: customer %s of office %s already has a %s collaboration that is not over", in.ID, in.CustomerNo, in.OfficeID, in.Solution)
		}
		cs = append(cs, c)
	}
	return store.Import(ctx, cs)
}
