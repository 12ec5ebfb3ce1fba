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

// ParsePeriod parses "YYYY-MM". It returns EINVALID period_invalid otherwise.
func ParsePeriod(field, s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, Invalid(field, "period_invalid", "write the period as YYYY-MM, e.g. 2027-01",
			"%q is not a period", s)
	}
	return Period{Year: t.Year(), Month: t.Month()}, nil
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

// Start returns the first instant of the period, in UTC.
func (p Period) Start() time.Time { return time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC) }

// AddMonths returns the period n months later.
func (p Period) AddMonths(n int) Period {
	t := p.Start().AddDate(0, n, 0)
	return Period{Year: t.Year(), Month: t.Month()}
}
