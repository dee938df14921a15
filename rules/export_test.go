package rules

// BudgetState returns what the evaluation has spent of its memory budget
// and how many loop ticks it has taken, so that the differential test of
// the fast path can check the fast path charges and ticks as the VM does.
func (e *Env) BudgetState() (spent int, ticks uint32) { return e.budget.spent, e.budget.ticks }

// SpendBudget takes n bytes from the evaluation's memory budget, so that
// a test can run a rule near the limit.
func (e *Env) SpendBudget(n int) { e.budget.spent += n }
