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
