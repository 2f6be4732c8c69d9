package service

import (
	"context"

	"github.com/meibo/meibo"
)

// Whoever changes a password or disables an account ends what the old
// password opened: for a user, their portal sessions, unused password links
// and personal API tokens; for an administrator, their console sessions and
// API tokens. Every
// path calls these in the transaction of the change: console, API, portal,
// password links, imports of every format. exceptSession keeps the one
// session of a person who changes their own password and goes on.

// endUserAccess ends user userID's sessions (but exceptSession), revokes
// their links and deletes their personal tokens.
func endUserAccess(ctx context.Context, tx meibo.Tx, userID int64, exceptSession string) error {
	if err := tx.RevokeUserTokens(ctx, userID, tx.Now()); err != nil {
		return err
	}
	if _, err := tx.DeletePersonalTokensOf(ctx, []int64{userID}); err != nil {
		return err
	}
	return tx.DeleteSessionsOf(ctx, meibo.SessionPortal, userID, exceptSession)
}

// endUsersAccess is endUserAccess for many users at once, in a few
// statements (imports).
func endUsersAccess(ctx context.Context, tx meibo.Tx, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	return tx.EndUsersAccess(ctx, userIDs, tx.Now())
}

// endAdminAccess ends administrator adminID's sessions (but exceptSession)
// and deletes their API tokens.
func endAdminAccess(ctx context.Context, tx meibo.Tx, adminID int64, exceptSession string) error {
	if err := tx.DeleteAdminAPITokens(ctx, adminID); err != nil {
		return err
	}
	return tx.DeleteSessionsOf(ctx, meibo.SessionConsole, adminID, exceptSession)
}
