package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
)

// Profiles (contract section 7): named sets of settings in one file,
// $XDG_CONFIG_HOME/vonage/config.json (else ~/.config/vonage/config.json),
// mode 0600. A setting comes from its flag, else its environment variable,
// else the profile.

// The keys a profile holds.
const (
	keyBaseURL       = "base-url"
	keyAPIKey        = "api-key"
	keyAPISecret     = "api-secret"
	keySecretCommand = "api-secret-command" // a command that prints the secret
	keyCAFile        = "ca-file"
)

var profileKeys = []string{keyBaseURL, keyAPIKey, keyAPISecret, keySecretCommand, keyCAFile}

// secretKeys are never printed.
func secretKey(key string) bool { return key == keyAPISecret }

const (
	envProfile    = "VONAGE_PROFILE"
	defaultName   = "default"
	configName    = "config.json"
	secretCmdWait = 30 * time.Second
)

// configFile is the file's content.
type configFile struct {
	Current  string                       `json:"current,omitempty"`
	Profiles map[string]map[string]string `json:"profiles"`
}

// configPath is the file's path, from the environment run was given.
func configPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "vonage", configName), nil
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".config", "vonage", configName), nil
	}
	return "", errors.New("no config directory: set XDG_CONFIG_HOME or HOME")
}

// loadConfig reads the file; a missing one is an empty configuration.
func loadConfig(path string) (*configFile, error) {
	cf := &configFile{Profiles: map[string]map[string]string{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, cf); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if cf.Profiles == nil {
		cf.Profiles = map[string]map[string]string{}
	}
	return cf, nil
}

// save writes the file, mode 0600 in a 0700 directory, through a temporary
// file renamed over it so that a crash never leaves half a file.
func (cf *configFile) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// config returns the configuration, read once. Without a config directory
// it is empty: every setting then comes from flags or the environment.
func (c *cli) config() (*configFile, error) {
	if c.cfg != nil {
		return c.cfg, nil
	}
	path, err := configPath(c.getenv)
	if err != nil {
		c.cfg = &configFile{Profiles: map[string]map[string]string{}}
		return c.cfg, nil
	}
	cf, err := loadConfig(path)
	if err != nil {
		return nil, usageError{err}
	}
	c.cfg = cf
	return cf, nil
}

// activeProfile names the profile in use: --profile, else $VONAGE_PROFILE,
// else the one `config use` chose, else "default".
func (c *cli) activeProfile() string {
	if c.profileName != "" {
		return c.profileName
	}
	if p := c.getenv(envProfile); p != "" {
		return p
	}
	if cf, err := c.config(); err == nil && cf.Current != "" {
		return cf.Current
	}
	return defaultName
}

// setting is a value and where it came from, for messages.
type setting struct {
	value string
	// At most one of these says where (none when unset): the flag's name
	// (without "--"), the environment variable, or the profile and its key.
	flag, env           string
	profile, profileKey string
}

// source names where s came from, for messages: "--api-key",
// "VONAGE_API_KEY", `profile "work" (api-key)`; empty when unset.
func (s setting) source() string {
	switch {
	case s.flag != "":
		return "--" + s.flag
	case s.env != "":
		return s.env
	case s.profile != "":
		return fmt.Sprintf("profile %q (%s)", s.profile, s.profileKey)
	}
	return ""
}

// lookup resolves one setting: the flag (when given), else the environment
// variable, else the profile's key.
func (c *cli) lookup(flagName, flagValue, env, key string) (setting, error) {
	if v := strings.TrimSpace(flagValue); v != "" {
		return setting{value: flagValue, flag: flagName}, nil
	}
	if v := c.getenv(env); strings.TrimSpace(v) != "" {
		return setting{value: v, env: env}, nil
	}
	cf, err := c.config()
	if err != nil {
		return setting{}, err
	}
	name := c.activeProfile()
	if v := cf.Profiles[name][key]; v != "" {
		return setting{value: v, profile: name, profileKey: key}, nil
	}
	if key == keyAPISecret {
		if command := cf.Profiles[name][keySecretCommand]; command != "" {
			secret, err := c.runSecretCommand(command)
			if err != nil {
				return setting{}, fmt.Errorf("profile %q: %s: %w", name, keySecretCommand, err)
			}
			return setting{value: secret, profile: name, profileKey: keySecretCommand}, nil
		}
	}
	return setting{}, nil
}

// runSecretCommand runs a profile's api-secret-command with sh and returns
// the first line it prints. Its stderr is the user's (it may prompt); its
// output is never shown.
func (c *cli) runSecretCommand(command string) (string, error) {
	ctx, cancel := context.WithTimeout(c.ctx, secretCmdWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stderr = c.stderr
	out, err := cmd.Output()
	if err != nil {
		return "", err
	}
	line, _, _ := bytes.Cut(out, []byte("\n"))
	secret := strings.TrimSuffix(string(line), "\r")
	if secret == "" {
		return "", errors.New("it printed nothing")
	}
	return secret, nil
}

func (c *cli) configCmd() *cobra.Command {
	return c.group("config", "profiles: set, get, list and use", configUsage,
		c.leaf(configSetSpec, c.configSet), c.leaf(configGetSpec, c.configGet),
		c.leaf(configListSpec, c.configList), c.leaf(configUseSpec, c.configUse))
}

const configUsage = `usage: vonage config <command> [--profile NAME]

Commands:
  set KEY VALUE   set a key of the profile (api-secret: VALUE from stdin)
  get KEY         print a key of the profile (a secret is never printed)
  list            list every profile and its keys, secrets hidden
  use NAME        make NAME the profile used when --profile and
                  VONAGE_PROFILE do not name one

Keys: base-url, api-key, api-secret, api-secret-command (a shell command
that prints the secret, e.g. "pass show vonage"), ca-file. A flag wins over
its environment variable, which wins over the profile. The file is
$XDG_CONFIG_HOME/vonage/config.json (else ~/.config/vonage/config.json),
mode 0600.
`

var (
	configSetSpec = command{
		name:  "config set",
		args:  []string{"KEY", "VALUE"},
		usage: "config set [--profile NAME] KEY VALUE",
		summary: `Sets KEY of the profile (--profile, else the active one) to VALUE; an empty
VALUE ("") removes it. Keys: base-url, api-key, api-secret,
api-secret-command, ca-file. For api-secret give VALUE as "-" and pipe the
secret on stdin (or type it twice at the prompt): a secret on the command
line lands in shell history. Better still, store a command that prints it
(api-secret-command).`,
	}
	configGetSpec = command{
		name:    "config get",
		args:    []string{"KEY"},
		usage:   "config get [--profile NAME] KEY",
		summary: "Prints KEY of the profile. The API secret is never printed: only whether it is\nset. Exits 4 when the key is not set.",
	}
	configListSpec = command{
		name:    "config list",
		usage:   "config list",
		summary: "Lists every profile and its keys, the active profile marked with *. The API\nsecret is never printed.",
	}
	configUseSpec = command{
		name:    "config use",
		args:    []string{"NAME"},
		usage:   "config use NAME",
		summary: "Makes NAME the profile used when neither --profile nor VONAGE_PROFILE names one.",
	}
)

// editConfig loads the file, applies edit, and saves it.
func (c *cli) editConfig(edit func(*configFile) error) error {
	path, err := configPath(c.getenv)
	if err != nil {
		return usageError{err}
	}
	cf, err := c.config()
	if err != nil {
		return err
	}
	if err := edit(cf); err != nil {
		return err
	}
	return cf.save(path)
}

func checkKey(key string) error {
	if !slices.Contains(profileKeys, key) {
		return usageError{fmt.Errorf("unknown key %q: want one of %s", key, strings.Join(profileKeys, ", "))}
	}
	return nil
}

func (c *cli) configSet(ctx context.Context, _ *cobra.Command, pos []string) error {
	key, value := pos[0], pos[1]
	if err := checkKey(key); err != nil {
		return err
	}
	if secretKey(key) && value == "-" {
		var err error
		if value, err = readNewSecret(ctx, c.stdin, c.stderr, "API secret", nil); err != nil {
			return err
		}
	}
	name := c.activeProfile()
	return c.editConfig(func(cf *configFile) error {
		p := cf.Profiles[name]
		if p == nil {
			p = map[string]string{}
			cf.Profiles[name] = p
		}
		if value == "" {
			delete(p, key)
		} else {
			p[key] = value
		}
		return nil
	})
}

// shownValue is a key's value as get and list show it.
func shownValue(key, value string) string {
	if secretKey(key) {
		return "(set, not shown)"
	}
	return value
}

func (c *cli) configGet(_ context.Context, _ *cobra.Command, pos []string) error {
	key := pos[0]
	if err := checkKey(key); err != nil {
		return err
	}
	cf, err := c.config()
	if err != nil {
		return err
	}
	name := c.activeProfile()
	v, ok := cf.Profiles[name][key]
	if !ok {
		return &cmdError{title: "not set", detail: fmt.Sprintf("%s is not set in profile %q", key, name), err: vonage.ErrNotFound}
	}
	if c.json {
		return writeJSON(c.stdout, map[string]any{"profile": name, "key": key, "value": shownValue(key, v), "set": true})
	}
	_, err = fmt.Fprintln(c.stdout, shownValue(key, v))
	return err
}

func (c *cli) configList(context.Context, *cobra.Command, []string) error {
	cf, err := c.config()
	if err != nil {
		return err
	}
	active := c.activeProfile()
	names := slices.Sorted(maps.Keys(cf.Profiles))
	if c.json {
		out := map[string]any{"active": active, "profiles": map[string]map[string]string{}}
		for _, n := range names {
			p := map[string]string{}
			for k, v := range cf.Profiles[n] {
				p[strings.ReplaceAll(k, "-", "_")] = shownValue(k, v)
			}
			out["profiles"].(map[string]map[string]string)[n] = p
		}
		return writeJSON(c.stdout, out)
	}
	var rows [][]string
	for _, n := range names {
		mark := " "
		if n == active {
			mark = "*"
		}
		for _, k := range slices.Sorted(maps.Keys(cf.Profiles[n])) {
			rows = append(rows, []string{mark + " " + n, k, shownValue(k, cf.Profiles[n][k])})
		}
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintf(c.stdout, "No profiles yet (active: %s). Add one with: vonage config set KEY VALUE\n", active)
		return err
	}
	return writeTable(c.stdout, []string{"  PROFILE", "KEY", "VALUE"}, rows)
}

func (c *cli) configUse(_ context.Context, _ *cobra.Command, pos []string) error {
	name := pos[0]
	return c.editConfig(func(cf *configFile) error {
		if _, ok := cf.Profiles[name]; !ok && name != defaultName {
			return &cmdError{title: "no such profile", err: vonage.ErrNotFound,
				detail: fmt.Sprintf("%q has no keys yet: add one first with vonage --profile %s config set KEY VALUE", name, name)}
		}
		cf.Current = name
		return nil
	})
}
