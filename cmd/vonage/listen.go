package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	vonage "github.com/vonage/vonage-go-sdk"
	"github.com/vonage/vonage-go-sdk/internal/account"
)

// vonage listen: a local receiver of callbacks, the counterpart of the
// admin API's triggers (README "Callbacks: inbound SMS and delivery
// receipts").

var listenCmd = command{
	name:  "listen",
	usage: "listen [--port N] [--set-callbacks] [--signature-secret-stdin] [flags]",
	summary: `Receives callbacks on 127.0.0.1 and prints each as it arrives: the HTTP
method, what it is (inbound SMS or delivery receipt, guessed from its fields)
and its fields sorted by name; with --json one JSON object per line. Every
delivery is answered 200. With --signature-secret-stdin (the account's
signature secret, from a prompt or the first line of stdin) each is checked:
"signature ok" or "signature BAD". With --set-callbacks the account's inbound
SMS and delivery receipt URLs point here until the command ends (Ctrl-C),
then the previous URLs are restored.

Ctrl-C is the way to stop it: it closes the listener (deliveries being
answered are finished and printed first), restores the URLs, then prints
"vonage: listen stopped (interrupted) after N callbacks" on stderr and
exits 130, as every command does on Ctrl-C. SIGTERM stops it the same
way, silently, with exit 0.`,
}

// The paths --set-callbacks points the account's two URLs at.
const (
	listenMOPath = "/inbound-sms"
	listenDRPath = "/delivery-receipt"
)

// maxCallbackBody bounds a delivery's body; the server's are far smaller.
const maxCallbackBody = 64 << 10

type listenOptions struct {
	port         int
	setCallbacks bool
	secretStdin  bool
	sigMethod    string
}

func (c *cli) listenCmd() *cobra.Command {
	var cf commonFlags
	var o listenOptions
	return c.leaf(listenCmd, func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		if !slices.Contains(account.SignatureMethods, o.sigMethod) {
			return c.misuse(cmd, fmt.Errorf("--signature-method must be one of %s", strings.Join(account.SignatureMethods, ", ")))
		}
		if o.port < 0 || o.port > 65535 {
			return c.misuse(cmd, errors.New("--port must be between 0 and 65535"))
		}
		return c.listen(ctx, &cf, o)
	}, cf.register, func(fs *flag.FlagSet) {
		fs.IntVar(&o.port, "port", 4040, "port on 127.0.0.1 to listen on; 0 picks a free one")
		fs.BoolVar(&o.setCallbacks, "set-callbacks", false, "point the account's moCallBackUrl and drCallBackUrl here, and restore them on exit")
		fs.BoolVar(&o.secretStdin, "signature-secret-stdin", false, "verify each delivery's signature with the account's signature secret, read from a prompt or the first line of stdin")
		fs.StringVar(&o.sigMethod, "signature-method", account.SigMD5Hash, "the account's signature method: "+strings.Join(account.SignatureMethods, ", "))
	})
}

func (c *cli) listen(ctx context.Context, cf *commonFlags, o listenOptions) error {
	rc := &callbackPrinter{out: c.stdout, asJSON: c.json, method: o.sigMethod}
	if o.secretStdin {
		secret, err := readNewSecret(ctx, c.stdin, c.stderr, "signature secret", nil)
		if err != nil {
			return err
		}
		rc.secret = secret
	}
	var client *vonage.AccountClient
	if o.setCallbacks {
		var err error
		if client, err = c.client(cf); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.port)))
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	hs := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	// Deferred calls run last first: the URLs are restored, then the
	// listener closed, waiting for the deliveries being answered (their
	// lines are printed whole), before listen returns and run reports.
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	fmt.Fprintf(c.stderr, "Listening on %s (Ctrl-C to stop)\n", base)

	if client != nil {
		restore, err := c.pointCallbacks(ctx, client, base+listenMOPath, base+listenDRPath)
		if err != nil {
			return err
		}
		defer func() {
			if err := restore(); err != nil {
				fmt.Fprintf(c.stderr, "restoring the callback URLs failed: %v\n", err)
			}
		}()
	}
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), errInterrupted) {
			return nil // SIGTERM: a quiet stop
		}
		// Ctrl-C is how listen is meant to end, yet it ends with 130 as
		// every command stopped by Ctrl-C does; the message is run's to
		// print, after the deferred clean-up.
		return interruptedError{err: errInterrupted, msg: fmt.Sprintf("listen stopped (interrupted) after %s", plural(rc.count(), "callback"))}
	case err := <-served:
		return err
	}
}

// plural is "1 callback", "2 callbacks".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pointCallbacks sets the account's two callback URLs to mo and dr and
// returns the function that puts the previous ones back, even after ctx
// has ended (Ctrl-C is how listen ends).
func (c *cli) pointCallbacks(ctx context.Context, client *vonage.AccountClient, mo, dr string) (func() error, error) {
	prev, _, err := client.GetConfigContext(ctx)
	if err != nil {
		return nil, c.apiFailure(err)
	}
	if _, _, err := client.UpdateConfigContext(ctx, vonage.AccountConfigUpdate{MoCallbackUrl: &mo, DrCallbackUrl: &dr}); err != nil {
		return nil, c.apiFailure(err)
	}
	fmt.Fprintf(c.stderr, "Inbound SMS now go to %s and delivery receipts to %s; the previous URLs come back on exit\n", mo, dr)
	return func() error {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _, err := client.UpdateConfigContext(rctx, vonage.AccountConfigUpdate{MoCallbackUrl: &prev.MoCallbackUrl, DrCallbackUrl: &prev.DrCallbackUrl})
		if err != nil {
			return c.apiFailure(err)
		}
		fmt.Fprintf(c.stderr, "Callback URLs restored: inbound SMS %s, delivery receipts %s\n", orNone(prev.MoCallbackUrl), orNone(prev.DrCallbackUrl))
		return nil
	}, nil
}

// callbackPrinter answers every request 200 and prints it.
type callbackPrinter struct {
	out    io.Writer
	asJSON bool
	secret string // "" when signatures are not checked
	method string
	mu     sync.Mutex // one delivery's lines at a time
	n      int64      // deliveries printed, under mu
}

// count is how many deliveries were printed.
func (p *callbackPrinter) count() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// callbackJSON is one delivery under --json.
type callbackJSON struct {
	Time      string            `json:"time"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Kind      string            `json:"kind"`
	Fields    map[string]string `json:"fields"`
	Signature string            `json:"signature,omitempty"`
}

func (p *callbackPrinter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	params, err := callbackParams(r)
	d := callbackJSON{Time: time.Now().UTC().Format(time.RFC3339), Method: r.Method, Path: r.URL.Path, Kind: callbackKind(params), Fields: map[string]string{}}
	if err != nil {
		d.Kind = "unreadable (" + err.Error() + ")"
	}
	for _, q := range params {
		d.Fields[q.Name] = q.Value
	}
	if p.secret != "" {
		d.Signature = p.signature(params)
	}
	w.WriteHeader(http.StatusOK)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.asJSON { // one object per line, for a script reading as they come
		enc := json.NewEncoder(p.out)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(d)
		return
	}
	line := fmt.Sprintf("%s %s %s %s", d.Time, d.Method, d.Path, d.Kind)
	if d.Signature != "" {
		line += ", signature " + d.Signature
	}
	fmt.Fprintln(p.out, line)
	names := make([]string, 0, len(d.Fields))
	for n := range d.Fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(p.out, "  %-18s %s\n", n, d.Fields[n])
	}
}

// signature is "ok", "BAD", or "missing" for an unsigned delivery.
func (p *callbackPrinter) signature(params []account.Param) string {
	var sig string
	for _, q := range params {
		if q.Name == "sig" {
			sig = q.Value
		}
	}
	switch {
	case sig == "":
		return "missing"
	case account.SignatureMatches(p.method, p.secret, sig, params):
		return "ok"
	default:
		return "BAD"
	}
}

// callbackParams reads a delivery's fields: the query string of a GET, the
// form or JSON object of a POST (its values as strings).
func callbackParams(r *http.Request) ([]account.Param, error) {
	var params []account.Param
	add := func(v url.Values) {
		for n, vs := range v {
			for _, s := range vs {
				params = append(params, account.Param{Name: n, Value: s})
			}
		}
	}
	add(r.URL.Query())
	if r.Method != http.MethodPost {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCallbackBody))
	if err != nil {
		return params, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			return params, fmt.Errorf("JSON body: %w", err)
		}
		for n, v := range obj {
			s, ok := v.(string)
			if !ok {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			params = append(params, account.Param{Name: n, Value: s})
		}
		return params, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return params, fmt.Errorf("form body: %w", err)
	}
	add(form)
	return params, nil
}

// callbackKind guesses what a delivery is from its fields.
func callbackKind(params []account.Param) string {
	has := map[string]bool{}
	for _, q := range params {
		has[q.Name] = true
	}
	switch {
	case has["status"] && (has["messageId"] || has["scts"]):
		return "delivery receipt"
	case has["text"] || has["keyword"]:
		return "inbound SMS"
	default:
		return "unknown callback"
	}
}
