package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newTopicDeactivateCommand(g *globals) *cobra.Command {
	return newDecisionCommand(g, deactivation, "Deactivate active topics; the topic manager then deletes them and their data from Kafka (admin)")
}

// confirm asks on a terminal and refuses elsewhere, where nobody can answer.
func confirm(in io.Reader, prompt io.Writer, question string) error {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &usageError{msg: "this deletes data: pass --yes to confirm when not on a terminal"}
	}
	fmt.Fprint(prompt, question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &usageError{msg: "not confirmed; nothing changed"}
	}
	return nil
}
