package service

import (
	"context"

	"github.com/meibo/meibo"
)

func init() {
	meibo.RegisterMessages(map[string][2]string{
		"login.password.first": {"The password printed at the first start must be changed before the API can be used: sign in to the console and choose a new one.",
			"初回起動時に表示されたパスワードは、API を使う前に変更する必要があります。コンソールにサインインして新しいパスワードを設定してください。"},
		"password.same": {"Choose a password other than the current one.", "現在のパスワードとは別のパスワードを設定してください。"},
	})
}

// FirstRunSteps says which steps of setting up an installation are done:
// a group, a profile in it, users and devices.
type FirstRunSteps struct {
	Group   string // the first group's ID, "" when there is none
	Profile bool
	Users   bool
	Devices bool
}

// Done reports whether every step is done.
func (f *FirstRunSteps) Done() bool {
	return f.Group != "" && f.Profile && f.Users && f.Devices
}

// firstRunGroups bounds how many groups are looked into for a profile or a
// device; an installation with more is past its first run.
const firstRunGroups = 20

// FirstRun tells an administrator who manages the installation which of
// the first steps are done. Others get nil: the steps are not theirs.
func (s *Service) FirstRun(ctx context.Context) (*FirstRunSteps, error) {
	a, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if a.Kind != meibo.ActorSystem && (a.Kind != meibo.ActorAdmin || !a.Authorities.ManagesAdmins()) {
		return nil, nil
	}
	var f FirstRunSteps
	err = s.store.View(ctx, func(tx meibo.Tx) error {
		groups, err := tx.Groups(ctx, nil)
		if err != nil {
			return err
		}
		if len(groups) == 0 {
			return nil
		}
		f.Group = groups[0].ID
		if len(groups) > firstRunGroups {
			f.Profile, f.Users, f.Devices = true, true, true
			return nil
		}
		n, err := tx.UnifiedCount(ctx)
		if err != nil {
			return err
		}
		f.Users = n > 0
		for _, g := range groups {
			if !f.Profile {
				ps, err := tx.Profiles(ctx, g.ID)
				if err != nil {
					return err
				}
				f.Profile = len(ps) > 0
			}
			if !f.Devices {
				_, devices, err := tx.GroupUsage(ctx, g.ID)
				if err != nil {
					return err
				}
				f.Devices = devices > 0
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}
