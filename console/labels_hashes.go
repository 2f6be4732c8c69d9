package console

import "github.com/meibo/meibo/web"

// The words about password hashes brought from other systems.
func init() {
	web.AddLabels(map[string][2]string{
		"imp.weakhashes":      {"Allow weak password hashes", "弱いパスワードハッシュを許可する"},
		"imp.weakhashes.hint": {"Salted SHA ({SSHA}…) hashes in passwordHash; their users should sign in soon, which replaces them.", "passwordHash 列のソルト付きSHA({SSHA}…)を受け付けます。該当ユーザーが早めにサインインすると置き換えられます。"},
		"users.weakhash":      {"Weak password hashes only", "弱いパスワードハッシュのみ"},
	})
}
