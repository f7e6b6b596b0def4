package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// hashSecret reads a secret from standard input and prints what a factory config stores in its
// place: a bcrypt hash for a pin or password, a SHA-256 for an API token.
func hashSecret(_ context.Context, args []string, e *env) error {
	fs := newFlagSet("hash", "hash [--token] < SECRET", e)
	token := fs.Bool("token", false, "print the sha256 of an API token instead of a bcrypt hash")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	secret := strings.TrimRight(line, "\r\n")
	if secret == "" {
		if err != nil {
			return fmt.Errorf("reading the secret from standard input: %w", err)
		}
		return errors.New("the secret on standard input is empty")
	}
	if *token {
		sum := sha256.Sum256([]byte(secret))
		fmt.Fprintln(e.stdout, hex.EncodeToString(sum[:]))
		return nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(h))
	return nil
}
