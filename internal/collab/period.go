package collab

import (
	"fmt"
	"time"
)

// Period is a calendar month, the unit of start periods (written YYYY-MM).
type Period struct {
	Year  int
	Month time.Month
}

// StartPeriodMonthsAhead is how far ahead of the current month an activation's start period may
// be: from the current month to this many months later.
const StartPeriodMonthsAhead = 24

// ParsePeriod parses "YYYY-MM" with a year from 0001 to 9999. It returns EINVALID period_invalid
// otherwise.
func ParsePeriod(field, s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 || t.Year() < 1 {
		return Period{}, Invalid(field, "period_invalid", "write the period as YYYY-MM, e.g. 2027-01",
			"%q is not a period", s)
	}
	return Period{Year: t.Year(), Month: t.Month()}, nil
}

// ParseStartPeriod parses an activation's start period, which must be written YYYY-MM and lie
// from the current month (at now) to StartPeriodMonthsAhead months later. It returns EINVALID
// period_invalid, naming the allowed range in its message and fix.
func ParseStartPeriod(field, s string, now time.Time) (Period, error) {
	first := PeriodOf(now)
	last := first.AddMonths(StartPeriodMonthsAhead)
	fix := fmt.Sprintf("choose a start period from %s to %s, written YYYY-MM", first, last)
	p, err := ParsePeriod(field, s)
	if err != nil {
		return Period{}, Invalid(field, "period_invalid", fix,
			"%q is not a period; a start period is written YYYY-MM and lies from %s to %s", s, first, last)
	}
	return p, CheckStartPeriod(field, p, now)
}

// CheckStartPeriod refuses a start period before the current month (at now) or more than
// StartPeriodMonthsAhead months after it. It returns EINVALID period_invalid, naming the allowed
// range in its message and fix.
func CheckStartPeriod(field string, p Period, now time.Time) error {
	first := PeriodOf(now)
	last := first.AddMonths(StartPeriodMonthsAhead)
	if p.IsZero() || p.Before(first) || last.Before(p) {
		return Invalid(field, "period_invalid", fmt.Sprintf("choose a start period from %s to %s, written YYYY-MM", first, last),
			"start period %q is outside %s to %s (from the current month to %d months ahead)", p.String(), first, last, StartPeriodMonthsAhead)
	}
	return nil
}

// PeriodOf returns the calendar month (in UTC) that t falls in.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	return Period{Year: t.Year(), Month: t.Month()}
}

// String returns the period as YYYY-MM.
func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
}

// IsZero reports whether the period is unset.
func (p Period) IsZero() bool { return p.Year == 0 }

// Before reports whether p is an earlier month than q.
func (p Period) Before(q Period) bool {
	return p.Year < q.Year || p.Year == q.Year && p.Month < q.Month
}

// Later returns the later of p and q.
func (p Period) Later(q Period) Period {
	if p.Before(q) {
		return q
	}
	return p
}

// Start returns the first instant of the period, in UTC.
func (p Period) Start() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC) }

// AddMonths returns the period n months later.
func (p Period) AddMonths(n int) Period {
	t := p.Start().AddDate(0, n, 0)
	return Period{Year: t.Year(), Month: t.Month()}
}

// Writable reports whether t can be written as an RFC 3339 time in UTC, as storage and the API
// write every time: its year in UTC is from 1 to 9999. A time outside it would fail the JSON
// encoding of an answer, and sort wrongly among the stored times (year 10000 sorts before 2027).
func Writable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// CheckTime refuses a reported time that is not Writable. It returns EINVALID field_invalid
// naming the field.
func CheckTime(field string, t time.Time) error {
	if !Writable(t) {
		return FieldInvalid(field, "write "+field+" as an RFC 3339 time between the years 0001 and 9999 in UTC, e.g. 2027-01-31T17:00:00Z",
			"%s is outside the years 0001 to 9999 in UTC", field)
	}
	return nil
}

var swedishMonths = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
	"september", "oktober", "november", "december"}

// monthName is the month's name in lang: lower case in Swedish, capitalised in English.
func monthName(m time.Month, lang Language) string {
	if lang == English {
		return m.String()
	}
	return swedishMonths[m-1]
}

// DateIn writes the day of t (in UTC) as a reader of lang does: "1 mars 2027" in Swedish,
// "1 March 2027" in English; "" for the zero time.
func DateIn(t time.Time, lang Language) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return fmt.Sprintf("%d %s %d", t.Day(), monthName(t.Month(), lang), t.Year())
}

// In writes the period as a reader of lang does: "mars 2027" in Swedish, "March 2027" in
// English; "" when unset.
func (p Period) In(lang Language) string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s %d", monthName(p.Month, lang), p.Year)
}
