package main

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/account"
)

// A new secret is read from a prompt or from the first line of stdin, never
// from a flag or an argument: those land in shell history and in the process
// list (contract section 7).

// maxSecretLine bounds the line read from stdin. Secrets are at most 25
// characters; the bound only stops a runaway pipe from being read whole.
const maxSecretLine = 1024

// terminal is an interactive stdin that can read a line without echoing it.
// Tests stand in for a terminal with their own implementation.
type terminal interface {
	ReadPassword(ctx context.Context) ([]byte, error)
}

// ttyFile is a stdin that is a real terminal.
type ttyFile struct{ f *os.File }

// ReadPassword reads a line with echo off. Cancelling ctx (Ctrl-C: main
// catches SIGINT) abandons the read and turns echo back on at once, rather
// than waiting for Enter.
func (t ttyFile) ReadPassword(ctx context.Context) ([]byte, error) {
	fd := int(t.f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := term.ReadPassword(fd)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		return nil, context.Cause(ctx)
	}
}

// asTerminal returns stdin as a terminal when it is one.
func asTerminal(stdin io.Reader) (terminal, bool) {
	switch in := stdin.(type) {
	case terminal:
		return in, true
	case *os.File:
		if term.IsTerminal(int(in.Fd())) {
			return ttyFile{in}, true
		}
	}
	return nil, false
}

// validSecret applies the server's secret rules at the prompt, so that a
// secret that would be refused is not typed a second time.
func validSecret(s string) error {
	var ae *account.Error
	if err := account.ValidateSecret(s); errors.As(err, &ae) {
		return &cmdError{title: "Invalid secret", detail: "the secret " + ae.Message + "; nothing was changed", err: vonage.ErrInvalidRequest}
	}
	return nil
}

var (
	errSecretMismatch = errors.New("the two entries differ; nothing was changed")
	errNoSecret       = errors.New("no secret given: type it at the prompt, or pipe it as the first line of stdin")
)

// readNewSecret reads a new secret: from a terminal it prompts on prompt
// (stderr, so stdout stays clean for --json) twice without echo, checks the
// first entry with validate (when not nil) before asking for the second,
// and refuses two different entries; otherwise it takes the first line of
// stdin without its line ending. The secret is never written anywhere.
func readNewSecret(ctx context.Context, stdin io.Reader, prompt io.Writer, what string, validate func(string) error) (string, error) {
	if tty, ok := asTerminal(stdin); ok {
		return promptTwice(ctx, tty, prompt, what, validate)
	}
	if stdin == nil {
		return "", errNoSecret
	}
	return firstLine(stdin)
}

func promptTwice(ctx context.Context, tty terminal, prompt io.Writer, what string, validate func(string) error) (string, error) {
	read := func(label string) ([]byte, error) {
		fmt.Fprint(prompt, label)
		b, err := tty.ReadPassword(ctx)
		fmt.Fprintln(prompt) // the user's Enter was not echoed
		if err != nil {
			return nil, fmt.Errorf("reading the %s: %w", what, err)
		}
		return b, nil
	}
	first, err := read("New " + what + ": ")
	if err != nil {
		return "", err
	}
	if len(first) == 0 {
		return "", errNoSecret
	}
	if validate != nil {
		if err := validate(string(first)); err != nil {
			return "", err
		}
	}
	second, err := read("Repeat the " + what + ": ")
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare(first, second) != 1 {
		return "", errSecretMismatch
	}
	return string(first), nil
}

// firstLine returns the first line of r without its "\n" or "\r\n". Other
// white space is kept: it may be part of the secret.
func firstLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxSecretLine+2), maxSecretLine+2)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the secret from stdin: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) > maxSecretLine {
		return "", fmt.Errorf("the first line of stdin is longer than %d bytes", maxSecretLine)
	}
	if line == "" {
		return "", errNoSecret
	}
	return line, nil
}
