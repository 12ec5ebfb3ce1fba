package dynamo

// Key builders: the table's partitions and sort keys (docs/data-model.md). Ids reaching here are
// validated by the API not to contain '#'.

func collaborationKey(id string) key { return key{"COLLAB#" + id, "COLLAB"} }
func historyPrefix(id string) key    { return key{"COLLAB#" + id, "HIST#"} }
func companyKey(id string) key       { return key{"COMPANY#" + id, "COMPANY"} }
func userKey(company, user string) key {
	return key{"COMPANY#" + company, "USER#" + user}
}
func subscriptionKey(company, solution string) key {
	return key{"COMPANY#" + company, "SUB#" + solution}
}
func grantKey(company, solution, user, via string) key {
	return key{"COMPANY#" + company, "ACCESS#" + solution + "#" + user + "#" + via}
}
func factsKey(company, solution string) key {
	return key{"COMPANY#" + company, "FACTS#" + solution}
}
func orgNoKey(orgNo string) key           { return key{"ORGNO#" + orgNo, "ORGNO"} }
func officeKey(id string) key             { return key{"OFFICE#" + id, "OFFICE"} }
func employeeKey(office, user string) key { return key{"OFFICE#" + office, "EMPLOYEE#" + user} }
func customerKey(office, no string) key   { return key{"OFFICE#" + office, "CUSTOMER#" + no} }
func taskKey(office, task string) key     { return key{"OFFICE#" + office, "TASK#" + task} }
func invitationKey(hash string) key       { return key{"INVITE#" + hash, "INVITE"} }

// openKey guards "at most one non-final collaboration per (office, customer, solution)": it exists
// exactly while such a collaboration does.
func openKey(office, customerNo, solution string) key {
	return key{"OPEN#" + office + "#" + customerNo + "#" + solution, "OPEN"}
}
func outboxKey(id string) key            { return key{"OUTBOX#" + id, "OUTBOX"} }
func idempotencyKey(scope, k string) key { return key{"IDEM#" + scope + "#" + k, "IDEM"} }

func officePartition(office string) string { return "OFFICE#" + office }
func customerPartition(office, no string) string {
	return "OFFICE#" + office + "#CUSTOMER#" + no
}
func statusPartition(office, status string) string {
	return "OFFICE#" + office + "#STATUS#" + status
}
func companyPartition(company string) string { return "COMPANY#" + company }
