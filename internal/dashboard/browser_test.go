package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/server"
)

// The browser tests drive Debian's Chromium through chromedp: what a
// person does on the dashboard, with the keyboard where it matters. They
// skip when no Chromium is installed, unless VONAGE_TEST_BROWSER=1 (CI),
// which makes a missing browser a failure. VONAGE_DASHBOARD_SCREENSHOT
// names a file to write the 375 px screenshot to (docs/dashboard-375.png
// was made so).

// browserTimeout bounds each browser test, browser start included.
const browserTimeout = 2 * time.Minute

// chromium returns the path of the browser, or skips (or fails) the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("VONAGE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VONAGE_TEST_BROWSER") == "1" {
		t.Fatal("VONAGE_TEST_BROWSER=1 but no Chromium found (apt-get install chromium, or set VONAGE_CHROMIUM)")
	}
	t.Skip("no Chromium installed; set VONAGE_TEST_BROWSER=1 to make this a failure")
	return ""
}

// newBrowser starts a headless Chromium for the test, 375 px wide, bounded
// by browserTimeout; the browser process is killed when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	ctx, cancelTime := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser() // closes the tab and the browser
		cancelAlloc()   // kills the process and waits for it
		cancelTime()
	})
	do(t, bctx, chromedp.EmulateViewport(375, 812))
	return bctx
}

// do runs steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// signInByKeyboard signs in using the keyboard alone: the key field has
// the focus, Tab moves to the secret, Enter submits.
func signInByKeyboard(t *testing.T, ctx context.Context, base, key, secret string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(base+"/dashboard/signin"), chromedp.WaitVisible("#api_key"),
		chromedp.KeyEvent(key), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(secret), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible("h1"))
}

func wantText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	if got := read(t, ctx, chromedp.Text(sel)); !strings.Contains(got, want) {
		t.Fatalf("%s reads %q, want %q in it", sel, got, want)
	}
}

// fitsPhone fails the test unless the page is no wider than the window
// and each of its tables (wantTables, at least) fits its box, so that
// nothing scrolls sideways. It also checks that the tables are still
// tables with headers, for screen readers, and that each cell carries the
// label the narrow layout shows in front of it.
func fitsPhone(t *testing.T, ctx context.Context, page string, wantTables int) {
	t.Helper()
	type fit struct {
		Page, Window int
		Tables       []struct {
			Scroll, Client, Box, Rows, Headers, Cells int
			Unlabelled                                []string
		}
	}
	f := read(t, ctx, chromedp.Evaluate[fit](`(() => {
		const box = e => { const s = e.closest(".scroll"); return s ? s : e; };
		return {
			Page: document.documentElement.scrollWidth,
			Window: window.innerWidth,
			Tables: [...document.querySelectorAll("main table")].map(tb => ({
				Scroll: tb.scrollWidth,
				Client: tb.clientWidth,
				Box: box(tb).scrollWidth - box(tb).clientWidth,
				Rows: tb.querySelectorAll("tbody tr").length,
				Headers: tb.querySelectorAll("thead th[scope=col]").length,
				Cells: tb.querySelectorAll("tbody td").length,
				Unlabelled: [...tb.querySelectorAll("tbody td")].filter(td => !td.dataset.label || getComputedStyle(td, "::before").content.length < 3).map(td => td.textContent.trim()),
			})),
		};
	})()`))
	if f.Window != 375 {
		t.Fatalf("%s: the window is %d px wide, want 375", page, f.Window)
	}
	if f.Page > f.Window {
		t.Errorf("%s is %d px wide in a %d px window", page, f.Page, f.Window)
	}
	if len(f.Tables) < wantTables {
		t.Fatalf("%s shows %d tables, want %d", page, len(f.Tables), wantTables)
	}
	// What a screen reader is told: still tables, with their headers and
	// cells, although the narrow layout displays them as blocks.
	roles := axRoles(t, ctx)
	var headers, cells int
	for _, tb := range f.Tables {
		headers += tb.Headers
		cells += tb.Cells
	}
	if roles["table"] != len(f.Tables) || roles["columnheader"] != headers || roles["cell"] != cells {
		t.Errorf("%s: the accessibility tree has %d tables, %d column headers, %d cells; the page %d, %d, %d",
			page, roles["table"], roles["columnheader"], roles["cell"], len(f.Tables), headers, cells)
	}
	for i, tb := range f.Tables {
		if tb.Scroll > tb.Client || tb.Box > 0 {
			t.Errorf("%s, table %d: %d px of content in %d px (its box overflows by %d px): it scrolls sideways", page, i, tb.Scroll, tb.Client, tb.Box)
		}
		if tb.Rows == 0 || tb.Headers == 0 {
			t.Errorf("%s, table %d: %d rows, %d column headers", page, i, tb.Rows, tb.Headers)
		}
		if n := len(tb.Unlabelled); n > 0 {
			t.Errorf("%s, table %d: %d cells without a shown label, the first %q", page, i, n, tb.Unlabelled[0])
		}
	}
}

// tablesAtWidth fails the test unless, in a window width px wide (the
// stylesheet's breakpoint and above), the page's tables are laid out as
// tables: headers shown, no labels in front of the cells, and nothing
// scrolling sideways. It leaves the window 375 px wide again.
func tablesAtWidth(t *testing.T, ctx context.Context, page string, width int64) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(width, 812))
	defer do(t, ctx, chromedp.EmulateViewport(375, 812))
	type wide struct {
		Page, Window int
		Tables       []struct {
			Display, Label     string
			HeaderHeight, Over int
		}
	}
	w := read(t, ctx, chromedp.Evaluate[wide](`(() => ({
		Page: document.documentElement.scrollWidth,
		Window: window.innerWidth,
		Tables: [...document.querySelectorAll("main table")].map(tb => {
			const box = tb.closest(".scroll") || tb, td = tb.querySelector("tbody td");
			return {
				Display: getComputedStyle(tb).display,
				Label: td ? getComputedStyle(td, "::before").content : "",
				HeaderHeight: Math.round(tb.tHead.getBoundingClientRect().height),
				Over: box.scrollWidth - box.clientWidth,
			};
		}),
	}))()`))
	if w.Window != int(width) || w.Page > w.Window {
		t.Errorf("%s at %d px: %d px wide in a %d px window", page, width, w.Page, w.Window)
	}
	if len(w.Tables) == 0 {
		t.Fatalf("%s at %d px shows no table", page, width)
	}
	for i, tb := range w.Tables {
		if tb.Display != "table" || tb.Label != "none" || tb.HeaderHeight < 10 {
			t.Errorf("%s at %d px, table %d: display %q, label %s, headers %d px high: want a plain table", page, width, i, tb.Display, tb.Label, tb.HeaderHeight)
		}
		if tb.Over > 0 {
			t.Errorf("%s at %d px, table %d: overflows its box by %d px", page, width, i, tb.Over)
		}
	}
}

// axRoles counts the roles in the page's accessibility tree, as Chromium
// gives it to a screen reader.
func axRoles(t *testing.T, ctx context.Context) map[string]int {
	t.Helper()
	tree := read(t, ctx, func(ctx context.Context, tg *chromedp.Target) (accessibility.GetFullAXTreeResult, error) {
		return cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	})
	roles := map[string]int{}
	for _, n := range tree.Nodes {
		if n.Ignored || n.Role == nil {
			continue
		}
		roles[strings.Trim(string(n.Role.Value), `"`)]++
	}
	return roles
}

// longKey is the widest API key there can be (32 characters, all of them
// wide): a subaccount with it shows whether the lists and headings that
// name keys fit a phone.
var longKey = strings.Repeat("mw", 16)

// TestBrowserAccount: sign in (a wrong secret first), read the balance,
// change a setting and see it saved, create a secret, revoke the old one
// and see that it no longer signs in; the page fits 375 px.
func TestBrowserAccount(t *testing.T) {
	srv := testServer(t)
	mustCreate(t, srv, account.NewAccount{APIKey: longKey, Secret: subSecret, PrimaryAPIKey: primaryKey})
	type movement struct {
		credit    bool
		amount    account.Money
		reference string
	}
	// More than a page of rows, with wide amounts and long unbroken
	// references, so that the table is as wide as it gets; then three
	// small ones, newest, that end at 12.50.
	var moves []movement
	for i := range 10 {
		ref := fmt.Sprintf("invoice_2026_12_ACME_EUROPE_NORTH_%04d_line_items", i)
		moves = append(moves, movement{true, 98_765_432_123_456, ref}, movement{false, 98_765_432_123_456, ref})
	}
	moves = append(moves, movement{false, 125_000_000, ""}, movement{true, 500_000_000, ""}, movement{false, 375_000_000, ""}) // 12.50 → 11.25 → 16.25 → 12.50
	for i, m := range moves {
		if m.reference == "" {
			m.reference = fmt.Sprint("movement ", i)
		}
		req := account.MoneyRequest{APIKey: primaryKey, Amount: m.amount, Reference: m.reference}
		move := srv.Service.Charge
		if m.credit {
			move = srv.Service.Credit
		}
		if _, err := move(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	ctx := newBrowser(t)
	base := srv.URL

	signInByKeyboard(t, ctx, base, primaryKey, "Wrong1Secret")
	wantText(t, ctx, ".error", "not accepted")
	if title := read(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Sign in") {
		t.Fatalf("after a refusal the title is %q", title)
	}

	signInByKeyboard(t, ctx, base, primaryKey, primarySecret)
	wantText(t, ctx, "#balance", "12.50 EUR")
	if title := read(t, ctx, chromedp.Title()); !strings.Contains(title, "Account "+primaryKey) {
		t.Fatalf("account page title %q", title)
	}

	// The page fits a phone: nothing wider than the viewport, and the
	// transactions table (a full page of rows) needs no sideways scroll.
	fitsPhone(t, ctx, "the account page", 1)
	shot := read(t, ctx, chromedp.FullScreenshot(100))
	if len(shot) < 1000 {
		t.Fatalf("screenshot of %d bytes", len(shot))
	}
	out := os.Getenv("VONAGE_DASHBOARD_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "dashboard-375.png")
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// From the breakpoint (40rem) up, the same rows fit as a table.
	tablesAtWidth(t, ctx, "the account page", 640)
	// The secrets of the subaccount with the longest key.
	do(t, ctx, chromedp.Navigate(base+"/dashboard/keys/"+longKey+"/secrets"), chromedp.WaitVisible("#secrets-h"))
	fitsPhone(t, ctx, "a subaccount's secrets", 0)
	do(t, ctx, chromedp.Navigate(base+"/dashboard/account"), chromedp.WaitVisible("#balance"))

	// A setting, saved and shown.
	const mo = "https://example.com/inbound"
	do(t, ctx, chromedp.SetValue("#mo", mo), chromedp.Submit("#mo"), chromedp.WaitVisible(".flash"))
	wantText(t, ctx, ".flash", "Settings saved.")
	if got := read(t, ctx, chromedp.Value("#mo")); got != mo {
		t.Fatalf("after saving, the field reads %q", got)
	}
	acct, _, _ := srv.Service.AccountDetails(context.Background(), primaryKey)
	if acct.Settings.MoCallbackURL != mo {
		t.Fatalf("stored setting %q, want %q", acct.Settings.MoCallbackURL, mo)
	}

	// A refused URL: its message next to the field, nothing saved.
	do(t, ctx, chromedp.SetValue("#dr", "ftp://nope"), chromedp.Submit("#dr"), chromedp.WaitVisible("#dr-err"))

	// A new secret, typed twice.
	const newSecret = "Browser9Secret"
	do(t, ctx, chromedp.Navigate(base+"/dashboard/account"), chromedp.WaitVisible("#new-secret"),
		chromedp.SetValue("#new-secret", newSecret), chromedp.SetValue("#new-secret-again", newSecret),
		chromedp.Submit("#new-secret"), chromedp.WaitVisible(".flash"))
	wantText(t, ctx, ".flash", "created")
	if body := read(t, ctx, chromedp.OuterHTML("html")); strings.Contains(body, newSecret) {
		t.Fatal("the creation page shows the typed secret")
	}

	// Revoke the secret signed in with: confirm, and be signed out.
	list, _ := srv.Service.ListSecrets(context.Background(), account.Account{APIKey: primaryKey}, primaryKey)
	old := list[0].ID
	do(t, ctx, chromedp.Navigate(base+"/dashboard/keys/"+primaryKey+"/secrets/"+old+"/revoke"),
		chromedp.WaitVisible("button.danger"), chromedp.Click("button.danger"), chromedp.WaitVisible("#api_key"))
	wantText(t, ctx, ".flash", "You revoked the secret you signed in with")
	signInByKeyboard(t, ctx, base, primaryKey, primarySecret)
	wantText(t, ctx, ".error", "not accepted")
	signInByKeyboard(t, ctx, base, primaryKey, newSecret)
	wantText(t, ctx, "#balance", "12.50 EUR")

	// The longest key, signed in: in the header and the headings.
	signInByKeyboard(t, ctx, base, longKey, subSecret)
	wantText(t, ctx, ".who", longKey)
	fitsPhone(t, ctx, "the account page of the longest key", 0)
}

// TestBrowserOperator: the operator's credit submitted twice from one
// rendering of the form moves the balance once; a POST without the CSRF
// token is refused.
func TestBrowserOperator(t *testing.T) {
	var credits atomic.Int32 // credit requests that reached the server
	srv := testServer(t, func(c *server.Config) {
		c.Wrap = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/credit") {
					credits.Add(1)
				}
				h.ServeHTTP(w, r)
			})
		}
	})
	mustCreate(t, srv, account.NewAccount{APIKey: longKey, Secret: subSecret, PrimaryAPIKey: primaryKey})
	ctx := newBrowser(t)
	base := srv.URL
	do(t, ctx, chromedp.Navigate(base+"/dashboard/signin"), chromedp.WaitVisible("#admin_token"),
		chromedp.SetValue("#admin_token", adminToken), chromedp.Submit("#admin_token"), chromedp.WaitVisible("#q"))
	do(t, ctx, chromedp.SetValue("#q", "dashp"), chromedp.Submit("#q"), chromedp.WaitVisible("table"))
	wantText(t, ctx, "table", primaryKey)
	if rows := read(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("tbody tr").length`)); rows != 1 {
		t.Fatalf("search for dashp lists %d accounts, want 1", rows)
	}
	do(t, ctx, chromedp.Navigate(base+"/dashboard/operator/accounts"), chromedp.WaitVisible("table"))
	fitsPhone(t, ctx, "the operator's account list", 1)
	do(t, ctx, chromedp.Navigate(base+"/dashboard/operator/accounts/"+longKey), chromedp.WaitVisible("#balance"))
	fitsPhone(t, ctx, "the operator's page of a subaccount", 0)

	do(t, ctx, chromedp.Navigate(base+"/dashboard/operator/accounts/"+primaryKey), chromedp.WaitVisible("#credit-amount"),
		chromedp.SetValue("#credit-amount", "3.30"), chromedp.SetValue("#credit-ref", "double click"))
	// The same rendered form submitted twice, each into its own window so
	// that neither navigation cancels the other: both reach the server,
	// as a double click on a slow page can send them.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById("credit-form");
		f.target = "first"; f.submit();
		f.target = "second"; f.submit();
	})()`, func(p *runtime.EvaluateParams) { gesture := true; p.UserGesture = &gesture }))
	for deadline := time.Now().Add(20 * time.Second); credits.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if n := credits.Load(); n != 2 {
		t.Fatalf("the double click sent %d credit requests, want 2", n)
	}
	do(t, ctx, chromedp.Navigate(base+"/dashboard/operator/accounts/"+primaryKey), chromedp.WaitVisible("#balance"))
	wantText(t, ctx, "#balance", "15.80 EUR")
	fitsPhone(t, ctx, "the operator's account page", 1)
	if n := read(t, ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("tbody tr")].filter(r => r.textContent.includes("double click")).length`)); n != 1 {
		t.Fatalf("the ledger lists %d credits of the double click, want 1", n)
	}

	// The same form without its CSRF token is refused, and moves nothing.
	do(t, ctx, chromedp.SetValue("#credit-amount", "1.00"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#credit-form input[name=csrf]").remove()`),
		chromedp.Click("#credit-form button"), chromedp.WaitVisible("p.error"))
	wantText(t, ctx, "p.error", "did not come from this dashboard")
	if title := read(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Forbidden") {
		t.Fatalf("a CSRF-less POST shows %q, want Forbidden", title)
	}
	if acct, _, _ := srv.Service.AccountDetails(context.Background(), primaryKey); acct.Balance.String() != "15.80" {
		t.Fatalf("balance %s after a refused POST, want 15.80", acct.Balance)
	}

	do(t, ctx, chromedp.Navigate(base+"/dashboard/operator/ledger"), chromedp.WaitVisible("#ledger-ok"))
	wantText(t, ctx, "#ledger-ok", "consistent")
}
