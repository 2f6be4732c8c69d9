package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/meibo/meibo/argon2id"
)

// runLicence prints the unified user count against the limit.
func runLicence(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "licence", "licence [--json]")
	var dsn string
	dbFlag(fs, &dsn)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("licence takes no arguments")
	}
	c, err := openCLI(ctx, dsn, argon2id.Default, "", 0)
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := c.svc.Licence(c.ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.stdout, l)
	}
	if l.Limit > 0 {
		fmt.Fprintf(env.stdout, "%d users counted (unified), limit %s\n", l.Used, strconv.Itoa(l.Limit))
	} else {
		fmt.Fprintf(env.stdout, "%d users counted (unified), no limit\n", l.Used)
	}
	return nil
}
