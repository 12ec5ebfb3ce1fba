package devstack

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/spiris/collab/infra/solutions"
	"github.com/spiris/collab/internal/collab"
	"github.com/spiris/collab/internal/httpapi"
)

// solutionModes answers GET /_local/solutions: how each simulated solution answers, and where
// the simulated Payroll serves its backups.
func (s *Stack) solutionModes(w http.ResponseWriter, r *http.Request) {
	modes := map[collab.Solution]solutions.Mode{}
	for _, i := range s.Integrations {
		modes[i.Solution] = s.Solutions.ModeOf(i.Solution)
	}
	writeJSON(w, http.StatusOK, map[string]any{"modes": modes, "backups": s.Solutions.BackupURL()})
}

// setSolutionMode answers POST /_local/solutions/{solution} with {"mode": "answer" | "fail" |
// "silent"}: the simulated solution answers so from its next message on.
func (s *Stack) setSolutionMode(w http.ResponseWriter, r *http.Request) {
	id := collab.Solution(r.PathValue("solution"))
	if !slices.ContainsFunc(s.Integrations, func(i Integration) bool { return i.Solution == id }) {
		writeJSON(w, http.StatusNotFound, httpapi.ErrorBody{Error: httpapi.ErrorDetail{Code: "solution_unknown",
			Message: "no simulated solution has this id", Fix: "use a solution id of GET /_local/solutions"}})
		return
	}
	var in struct {
		Mode string `json:"mode"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	m, err := solutions.ParseMode(in.Mode)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, httpapi.ErrorBody{Error: httpapi.ErrorDetail{Code: "mode_invalid",
			Message: "mode is not answer, fail or silent", Fix: `send {"mode": "answer"}, {"mode": "fail"} or {"mode": "silent"}`}})
		return
	}
	s.Solutions.SetMode(id, m)
	s.solutionModes(w, r)
}
