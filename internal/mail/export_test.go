package mail

// Kinds lists the e-mails there is wording for, for the tests to go through every one.
func Kinds() []string {
	t, _ := load()
	out := make([]string, 0, len(t.messages))
	for k := range t.messages {
		out = append(out, k)
	}
	return out
}

// WordsOutcome reports whether an e-mail of the kind can be worded for the end effect outcome:
// it has no outcome paragraph, or one for it (a grace period's e-mails are only sent for the
// effects that have one).
func WordsOutcome(kind, outcome string) bool {
	t, _ := load()
	w := t.messages[kind]["sv"]
	_, ok := w.Outcomes[outcome]
	return len(w.Outcomes) == 0 || ok
}

// OwnFrame reports whether an e-mail of the kind has a frame of its own (a company's e-mail to
// its own user, about no collaboration and no office).
func OwnFrame(kind string) bool {
	t, _ := load()
	return t.messages[kind]["sv"].Header != ""
}
