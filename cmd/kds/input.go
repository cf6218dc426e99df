package main

import (
	"github.com/spf13/cobra"

	"github.com/kds-io/kds/cmd/kds/internal/lineedit"
	"github.com/kds-io/kds/cmd/kds/internal/producer"
)

// lineEditor reads the lines of an interactive command from its standard
// input. Prompts and what is typed go to standard output, or to standard
// error when only that is the terminal (kds consume -o json > file).
func lineEditor(cmd *cobra.Command) (*lineedit.Editor, error) {
	out := cmd.OutOrStdout()
	if !lineedit.IsTerminal(out) && lineedit.IsTerminal(cmd.ErrOrStderr()) {
		out = cmd.ErrOrStderr()
	}
	return lineedit.New(cmd.InOrStdin(), out, producer.MaxLine)
}
