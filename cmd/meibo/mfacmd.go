package main

import (
	"fmt"

	"github.com/meibo/meibo"
)

// runAdminFactors is `meibo admin reset-mfa ID` (the emergency path on the
// server's own machine: every second factor, recovery code and identity
// provider link of the administrator removed, their sessions and tokens
// ended, audited as the command line) and `meibo admin mfa-policy [P]`
// (show or set who must have a second factor: all, none, or authority
// columns such as 6,7).
func runAdminFactors(x *verbRun, cmd string) error {
	c, env, pos := x.c, x.env, x.pos
	switch cmd {
	case "reset-mfa":
		if len(pos) != 1 {
			return usagef("admin reset-mfa needs one ID")
		}
		ad, err := c.svc.AdminByLoginID(c.ctx, pos[0])
		if err != nil {
			return err
		}
		if err := c.svc.ResetFactors(c.ctx, ad.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "reset the second factors of %s and ended their sessions\n", ad.LoginID)
		return nil
	default:
		if len(pos) > 1 {
			return usagef("admin mfa-policy takes at most one value")
		}
		if len(pos) == 1 {
			p, err := meibo.ParseMFAPolicy(pos[0])
			if err != nil {
				return err
			}
			if err := c.svc.SetMFAPolicy(c.ctx, p); err != nil {
				return err
			}
		}
		p, err := c.svc.MFAPolicy(c.ctx)
		if err != nil {
			return err
		}
		v := p.String()
		if v == "" {
			v = "none"
		}
		fmt.Fprintf(env.stdout, "%s=%s\n", meibo.SettingMFARequired, v)
		return nil
	}
}
