package devstack

import (
	"html"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spiris/collab/internal/collab"
)

// TestTheSwedishAnswerPagesNameSolutionsInSwedish renders the local answer pages in Swedish for
// every solution, both answers and every state and refusal they word: each names the solution in
// Swedish and holds no English solution name.
func TestTheSwedishAnswerPagesNameSolutionsInSwedish(t *testing.T) {
	tx := answerTexts[collab.Swedish]
	for id, rules := range collab.Solutions {
		names := strings.NewReplacer("{Office}", "Byrån AB", "{Company}", "Kund AB", "{Solution}", rules.NameIn(collab.Swedish))
		var saids []string
		for _, s := range tx.States {
			saids = append(saids, s)
		}
		for _, s := range tx.Errors {
			saids = append(saids, s)
		}
		var pages []string
		for _, answer := range []string{"accept", "decline"} {
			w := httptest.NewRecorder()
			render(w, 200, "answer", map[string]any{"T": tx, "Title": tx.Approve, "User": "Anna", "Answer": answer, "Self": "/x",
				"Who": "Byrån AB", "Whom": "Kund AB", "What": rules.NameIn(collab.Swedish)})
			pages = append(pages, w.Body.String())
		}
		for _, said := range saids {
			w := httptest.NewRecorder()
			render(w, 200, "answered", map[string]any{"T": tx, "Title": tx.Done, "OK": true, "Status": "active", "Said": names.Replace(said), "Back": "/x"})
			pages = append(pages, w.Body.String())
		}
		for _, page := range pages {
			if !strings.Contains(page, `lang="sv"`) {
				t.Errorf("%s: a page not in Swedish:\n%s", id, page)
			}
			for _, english := range collab.EnglishNames() {
				if strings.Contains(page, html.EscapeString(english)) {
					t.Errorf("%s: a Swedish page names %q:\n%s", id, english, page)
				}
			}
		}
		if !strings.Contains(pages[0], html.EscapeString(rules.NameIn(collab.Swedish))) {
			t.Errorf("%s: the Swedish confirmation does not name %q:\n%s", id, rules.NameIn(collab.Swedish), pages[0])
		}
	}
}
