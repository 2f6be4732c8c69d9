package scim_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/meibo/meibo"
	"github.com/meibo/meibo/service"
	"github.com/meibo/meibo/store/storetest"
)

// giveToken stores a personal token for the user of id.
func (e *env) giveToken(id string) {
	e.t.Helper()
	uid, _ := strconv.ParseInt(id, 10, 64)
	ctx := context.Background()
	_, hash := meibo.NewToken(service.PersonalTokenPrefix)
	if err := e.db.Update(ctx, func(tx meibo.Tx) error {
		return tx.CreatePersonalToken(ctx, &meibo.PersonalToken{Hash: hash, UserID: uid, Name: "script", ExpiresAt: tx.Now().Add(time.Hour)})
	}); err != nil {
		e.t.Fatal(err)
	}
}

// heldTokens counts the personal tokens of the user of id as stored.
func (e *env) heldTokens(id string) int {
	e.t.Helper()
	uid, _ := strconv.ParseInt(id, 10, 64)
	var n int
	if err := e.db.View(context.Background(), func(tx meibo.Tx) error {
		ks, err := tx.PersonalTokens(context.Background(), uid)
		n = len(ks)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestPersonalTokensEnd: a PATCH from the identity provider that
// deactivates a user (Entra ID's "False") or turns API access off deletes
// the user's personal tokens at once; one that changes something else
// leaves them.
func TestPersonalTokensEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ids := createUsers(t, e, "alice", "bob", "carol")
		for _, n := range []string{"alice", "bob", "carol"} {
			e.scim("PATCH", "G1", "/Users/"+ids[n], `{"Operations":[{"op":"replace","value":{"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:apiAccess":true}}]}`).want(t, 200)
			e.giveToken(ids[n])
		}
		e.scim("PATCH", "G1", "/Users/"+ids["alice"], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`).want(t, 200)
		e.scim("PATCH", "G1", "/Users/"+ids["bob"], `{"Operations":[{"op":"replace","path":"urn:meibo:params:scim:schemas:extension:meibo:2.0:User:apiAccess","value":false}]}`).want(t, 200)
		e.scim("PATCH", "G1", "/Users/"+ids["carol"], `{"Operations":[{"op":"replace","path":"displayName","value":"Carol C"}]}`).want(t, 200)
		for n, want := range map[string]int{"alice": 0, "bob": 0, "carol": 1} {
			if got := e.heldTokens(ids[n]); got != want {
				t.Errorf("%s holds %d personal tokens, want %d", n, got, want)
			}
		}
	})
}
