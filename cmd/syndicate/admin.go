package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"syndicate/config"
	"syndicate/jobs"
	"syndicate/store"
	"syndicate/web"
)

// The dashboard reads the store and acts through the same Editor as the
// CLI's retry, cancel and send digest.
var (
	_ web.AdminStore = (*store.Store)(nil)
	_ web.Editor     = jobs.Editor{}
)

func (a *app) adminCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "admin",
		Short: "Manage the editor's dashboard (admin hash-password)",
		Args:  args(0, "a subcommand: hash-password"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("admin needs a subcommand: hash-password")
		},
	}
	var cost int
	hash := &cobra.Command{
		Use:   "hash-password",
		Short: "Print the bcrypt hash of a password read from stdin",
		Long: `hash-password reads a password from the first line of stdin and prints its
bcrypt hash, for a user of the dashboard in the configuration:

  admin:
    users:
      - name: ann
        password_hash: "$2a$12$…"

For example: read -rs PW && printf '%s\n' "$PW" | syndicate admin hash-password
The password is never printed or logged; bcrypt reads at most 72 bytes of it.`,
		Args: args(0, "no arguments (the password comes from stdin)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
				return usagef("--cost must be between %d and %d, not %d", bcrypt.MinCost, bcrypt.MaxCost, cost)
			}
			pw, err := readPassword(a.stdin)
			if err != nil {
				return err
			}
			h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
			if err != nil {
				return fmt.Errorf("hash the password: %w", err)
			}
			fmt.Fprintln(a.stdout, string(h))
			return nil
		},
	}
	hash.Flags().IntVar(&cost, "cost", 12, "bcrypt cost (each step doubles the work of every login and of every guess)")
	c.AddCommand(hash)
	return c
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	switch {
	case pw == "":
		return "", errors.New("no password on stdin: give it as the first line")
	case len(pw) > 72:
		return "", fmt.Errorf("the password is %d bytes; bcrypt takes at most 72", len(pw))
	case len(pw) < 8:
		return "", fmt.Errorf("the password is %d characters; use at least 8", len(pw))
	}
	return pw, nil
}

// adminSettings wires the dashboard from cfg: its users, its login limits
// in rc, the store and the editor's actions.
func adminSettings(cfg config.Config, rc redis.UniversalClient, st *store.Store) web.Admin {
	users := make(map[string]string, len(cfg.Admin.Users))
	for _, u := range cfg.Admin.Users {
		users[u.Name] = u.PasswordHash
	}
	return web.Admin{
		Users:      users,
		SessionTTL: time.Duration(cfg.Admin.SessionTTL),
		Logins:     redisLimiter{l: redis_rate.NewLimiter(rc), limit: redis_rate.PerHour(cfg.Admin.LoginsPerHour), prefix: "syndicate:admin-login:"},
		Store:      st,
		Editor:     editor(cfg, st, rc),
	}
}
