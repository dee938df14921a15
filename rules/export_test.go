package rules

// BudgetState returns what the evaluation has spent of its memory budget
// and how many loop ticks it has taken, so that the differential test of
// the fast path can check the fast path charges and ticks as the VM does.
func (e *Env) BudgetState() (spent int, ticks uint32) { return e.budget.spent, e.budget.ticks }
