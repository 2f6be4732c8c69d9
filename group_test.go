package meibo

import (
	"slices"
	"testing"
)

// TestProfileValidateKeepsTheGivenList: Validate puts the actions in their
// canonical order without duplicates in a list of its own; the list it was
// given (AllActions itself, or a caller's) is left as it was.
func TestProfileValidateKeepsTheGivenList(t *testing.T) {
	given := []Action{ActionWipe, ActionLock, ActionWipe}
	p := Profile{Name: "Field", Actions: given}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := []Action{ActionLock, ActionWipe}; !slices.Equal(p.Actions, want) {
		t.Errorf("actions %q, want %q", p.Actions, want)
	}
	if want := []Action{ActionWipe, ActionLock, ActionWipe}; !slices.Equal(given, want) {
		t.Errorf("the given list became %q", given)
	}
	all := slices.Clone(AllActions)
	q := Profile{Name: "All", Actions: AllActions}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	q.Actions[0] = ActionWipe
	if !slices.Equal(AllActions, all) {
		t.Errorf("AllActions became %q", AllActions)
	}
}
