package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/auth"
)

func newTokenCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (admin)",
		Long: `API tokens carry a role: admin (everything), producer (request topics, send),
consumer (subscribe) or viewer (read only). A consumer's token acts only for
the consumer ids it was made for (--consumer; by default the one that is its
name). Tokens are stored hashed; a new token's secret is shown once.`,
	}
	cmd.AddCommand(newTokenCreateCommand(g), newTokenListCommand(g), newTokenRevokeCommand(g))
	return cmd
}

func newTokenCreateCommand(g *globals) *cobra.Command {
	var (
		role      string
		consumers []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME --role ROLE [--consumer ID]...",
		Short: "Create a token; NAME is recorded as the actor of what its holder does",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			r, err := auth.ParseRole(role)
			if err != nil {
				return &usageError{msg: err.Error()}
			}
			t, err := client.CreateToken(cmd.Context(), apiv1.TokenRequest{Name: args[0], Role: r, Consumers: consumers})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, t)
			}
			fmt.Fprintf(out, "created %s token %s for %q", t.Role, t.ID, t.Name)
			if len(t.Consumers) > 0 {
				fmt.Fprintf(out, ", acting for consumer ids %s", visible(strings.Join(t.Consumers, ", ")))
			}
			fmt.Fprintf(out, "; this is the only time it is shown:\n%s\n", t.Secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "admin, producer, consumer or viewer")
	cmd.Flags().StringArrayVar(&consumers, "consumer", nil, "with --role consumer: a consumer id the token acts for (repeatable; default: the token's name)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokenListCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens, revoked ones included, and the bootstrap admin token when the server has one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			toks, err := client.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), toks)
			}
			rows := make([][]string, len(toks))
			for i, t := range toks {
				state, used := "active", "never"
				if t.Bootstrap {
					state = "active (bootstrap admin token, from the server's configuration)"
				}
				if t.RevokedAt != nil {
					state = "revoked " + t.RevokedAt.Format(time.RFC3339)
				}
				if t.LastUsed != nil {
					used = ago(*t.LastUsed) + " ago"
				}
				acts := "-"
				if len(t.Consumers) > 0 {
					acts = strings.Join(t.Consumers, ",")
				}
				rows[i] = []string{t.ID, t.Name, string(t.Role), acts, t.CreatedBy, t.CreatedAt.Format(time.RFC3339), used, state}
			}
			return printTable(cmd.OutOrStdout(), []string{"ID", "NAME", "ROLE", "CONSUMERS", "CREATED BY", "CREATED", "LAST USED", "STATE"}, rows)
		},
	}
}

func newTokenRevokeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.client()
			if err != nil {
				return err
			}
			if err := client.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s\n", args[0])
			return nil
		},
	}
}
