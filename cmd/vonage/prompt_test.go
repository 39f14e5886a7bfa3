package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestFirstLine(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", maxSecretLine+1)
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{in: "Secret123\n", want: "Secret123"},
		{in: "Secret123\r\n", want: "Secret123"},
		{in: "Secret123", want: "Secret123"},
		{in: " spaced Secret1 \t\n", want: " spaced Secret1 \t"}, // only the line ending goes
		{in: "Secret123\r\r\n", want: "Secret123\r"},
		{in: "first1Abc\nsecond1Abc\n", want: "first1Abc"},
		{in: strings.Repeat("y", maxSecretLine) + "\r\n", want: strings.Repeat("y", maxSecretLine)},
		{in: "", err: true},
		{in: "\n", err: true},
		{in: "\r\n", err: true},
		{in: long, err: true},
		{in: long + "\n", err: true},
	} {
		got, err := readNewSecret(context.Background(), strings.NewReader(tc.in), nil, "secret", nil)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("readNewSecret(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestPrompt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		entries []string
		want    string
		err     error
	}{
		{entries: []string{"Typ3dSecret", "Typ3dSecret"}, want: "Typ3dSecret"},
		{entries: []string{"Typ3dSecret", "Typ3dSecreT"}, err: errSecretMismatch},
		{entries: []string{"Typ3dSecret", ""}, err: errSecretMismatch},
		{entries: []string{""}, err: errNoSecret},
		{entries: []string{"Typ3dSecret"}}, // end of input at the second prompt
		{entries: nil},
	} {
		var prompt bytes.Buffer
		tty := &fakeTerminal{entries: tc.entries}
		got, err := readNewSecret(context.Background(), tty, &prompt, "secret", nil)
		if got != tc.want || (tc.err != nil && !errors.Is(err, tc.err)) || (tc.want == "" && err == nil) {
			t.Errorf("entries %q: got %q, %v; want %q, %v", tc.entries, got, err, tc.want, tc.err)
		}
		for _, e := range tc.entries {
			if e != "" && strings.Contains(prompt.String(), e) {
				t.Errorf("the prompt echoes an entry: %q", prompt.String())
			}
		}
		if !strings.HasPrefix(prompt.String(), "New secret: \n") {
			t.Errorf("prompt = %q", prompt.String())
		}
	}
}
