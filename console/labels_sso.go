package console

import "github.com/meibo/meibo/web"

// What a person is told when a sign-in with an identity provider fails:
// what to do about it, never which administrators exist.
func init() {
	web.AddLabels(map[string][2]string{
		"signin.out.sso": {"You are signed out of meibo, but may still be signed in at %s: on a shared computer, sign out there too, or close the browser.",
			"meibo からサインアウトしました。%s にはまだサインインしたままの可能性があります。共用のコンピューターでは、そちらでもサインアウトするか、ブラウザーを閉じてください。"},
		"signout.sso":          {"You are signed out of meibo. Signing you out of %s…", "meibo からサインアウトしました。%s からサインアウトしています…"},
		"signout.sso.continue": {"Continue to %s", "%s へ進む"},
		"ssoerr.unreachable": {"The identity provider cannot be reached just now. Try again later, or sign in with your password.",
			"IDプロバイダーに接続できません。しばらくしてからもう一度お試しいただくか、パスワードでサインインしてください。"},
		"ssoerr.stale": {"This sign-in has expired or was already used. Start again.",
			"このサインインは期限切れか、すでに使われています。最初からやり直してください。"},
		"ssoerr.denied": {"The identity provider did not let you sign in (%s).",
			"IDプロバイダーがサインインを認めませんでした(%s)。"},
		"ssoerr.denied.said": {"The identity provider did not let you sign in: %s",
			"IDプロバイダーがサインインを認めませんでした: %s"},
		"ssoerr.unknown": {"No administrator of meibo is linked to this account. Ask a manager of administrators.",
			"このアカウントに連携された meibo の管理者はいません。管理者の管理権限を持つ人に依頼してください。"},
		"ssoerr.refused": {"The identity provider's sign-in was not accepted. Start again, or sign in with your password.",
			"IDプロバイダーのサインインを確認できませんでした。最初からやり直すか、パスワードでサインインしてください。"},
	})
}
