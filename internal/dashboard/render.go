package dashboard

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vonage/vonage-go-sdk/internal/account"
)

// page is what every template gets.
type page struct {
	Title    string // the page's own name; the layout adds the dashboard's
	Viewer   string // who is signed in, "" for nobody
	Operator bool
	CSRF     string
	Flash    string // a fixed message naming what the last form did
	Error    string // what went wrong, for the whole page
	Data     any
}

// secretsBlock is what the "secrets" fragment gets: its forms need the
// page's CSRF token.
type secretsBlock struct {
	CSRF string
	S    secretsView
}

// parsePages parses each page with the layout and the shared fragments.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"when":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"eur":       func(m account.Money) string { return m.String() },
		"secretsOf": func(csrf string, s secretsView) secretsBlock { return secretsBlock{CSRF: csrf, S: s} },
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/_*.html", name))
	}
	return pages
}

// render writes the page; a template failure is logged and becomes a
// plain 500, before anything was sent.
func (d *dash) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		d.log.LogAttrs(r.Context(), slog.LevelError, "dashboard template failed", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// withViewer fills in who is signed in.
func (p page) withViewer(v *viewer) page {
	if v == nil {
		return p
	}
	p.CSRF, p.Operator = v.csrf(), v.sess.Operator
	p.Viewer = "operator"
	if !v.sess.Operator {
		p.Viewer = v.acct.APIKey
	}
	return p
}

// errorPage answers with a page saying msg.
func (d *dash) errorPage(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string) {
	d.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg}.withViewer(v))
}

func (d *dash) notFound(w http.ResponseWriter, r *http.Request) {
	v, _ := d.current(r)
	d.errorPage(w, r, v, http.StatusNotFound, "There is no such page.")
}

// statusOf is the status a domain error is answered with in a page.
var statusOf = map[account.Code]int{
	account.EINVALID:        http.StatusBadRequest,
	account.EUNAUTHORIZED:   http.StatusUnauthorized,
	account.ENOTFOUND:       http.StatusNotFound,
	account.ESECRETNOTFOUND: http.StatusNotFound,
	account.ESECRETLIMIT:    http.StatusConflict,
	account.ELASTSECRET:     http.StatusConflict,
	account.ECONFLICT:       http.StatusConflict,
	account.EFUNDS:          http.StatusConflict,
	account.EAUTORELOADOFF:  http.StatusConflict,
	account.ERATELIMIT:      http.StatusTooManyRequests,
	account.EUNAVAILABLE:    http.StatusServiceUnavailable,
}

// fail answers a failed call: a domain error with its own (safe) message,
// anything else as a logged 500.
func (d *dash) fail(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", retryAfter(ra.RetryAfter()))
	}
	if e := account.AsError(err); e != nil {
		if status, ok := statusOf[e.Code]; ok {
			d.errorPage(w, r, v, status, e.Message)
			return
		}
	}
	d.log.LogAttrs(r.Context(), slog.LevelError, "dashboard request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	d.errorPage(w, r, v, http.StatusInternalServerError, "Something went wrong on the server; it has been logged.")
}

// retryAfter is a wait in whole seconds, at least one.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// fieldError returns the field and message of an EINVALID, for showing
// next to the field; ok is false for any other error.
func fieldError(err error) (field, msg string, ok bool) {
	e := account.AsError(err)
	if e == nil || e.Code != account.EINVALID {
		return "", "", false
	}
	return e.Field, e.Message, true
}
