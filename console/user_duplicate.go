package console

import "github.com/meibo/meibo/web"

// The duplicate screen starts from the source's profile and options, which
// can be changed before saving (handleUserDuplicateCreate).
func init() {
	web.AddLabels(map[string][2]string{
		"user.duplicate.change": {"The profile and options of %s are filled in: change them as the new user needs before saving.", "%s のプロファイルとオプションが入力されています。保存する前に、新しいユーザーに合わせて変更してください。"},
	})
}
