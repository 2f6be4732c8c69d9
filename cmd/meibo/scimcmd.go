package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/meibo/meibo/argon2id"
	"github.com/meibo/meibo/service"
)

// runSCIM makes SCIM tokens: `meibo scim token create --group ID` prints the
// token alone on standard output, for an identity provider's settings.
func runSCIM(ctx context.Context, env *cliEnv, args []string) error {
	const usage = "scim token create --group ID [--name NAME] [--ttl 8760h]"
	create := len(args) >= 2 && args[0] == "token" && args[1] == "create"
	if !create && !slices.Contains(args, "--help") && !slices.Contains(args, "-h") {
		return usagef(usage)
	}
	fs := newFlags(env, "scim", usage)
	var dsn string
	dbFlag(fs, &dsn)
	group := fs.String("group", "", "the group whose SCIM endpoint the token opens (required)")
	name := fs.String("name", "scim", "a name to recognise the token by; its changes are audited as scim:NAME")
	ttl := fs.Duration("ttl", service.DefaultSCIMTokenTTL, "lifetime of the token")
	rest := args
	if create {
		rest = args[2:]
	}
	pos, err := fs.parse(rest)
	if err != nil {
		return err
	}
	if *group == "" || len(pos) > 0 {
		return usagef("scim token create needs --group ID and no arguments")
	}
	if *ttl <= 0 {
		return usagef("--ttl %v: give a lifetime of more than zero, such as 8760h", *ttl)
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	secret, k, err := c.svc.CreateSCIMToken(c.ctx, *group, *name, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, secret)
	fmt.Fprintf(env.stderr, "SCIM token %q for /scim/v2/%s, valid until %s; it is shown only this once\n", k.Name, k.GroupID,
		k.ExpiresAt.Local().Format(time.DateTime))
	return nil
}
