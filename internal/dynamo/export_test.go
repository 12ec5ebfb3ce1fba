package dynamo

// TaskEntry is the name of a user's memberships entry of a task (taskAttr), for the tests to
// compare Memberships.TaskOf with.
var TaskEntry = taskAttr
