package adminapi_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// readAll reads every line of an import file: the accounts' keys with their
// line numbers, and the refused lines.
func readAll(t *testing.T, file string) (got []string, refused []int) {
	t.Helper()
	ir, err := adminapi.NewImportReader(strings.NewReader(file))
	if err != nil {
		t.Fatalf("NewImportReader: %v", err)
	}
	for range 100 {
		l, line, err := ir.Next()
		var le *adminapi.LineError
		switch {
		case err == io.EOF:
			return got, refused
		case errors.As(err, &le):
			if le.Line != line {
				t.Errorf("LineError line %d, Next's %d", le.Line, line)
			}
			refused = append(refused, le.Line)
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			got = append(got, fmt.Sprintf("%d:%s", line, l.APIKey))
		}
	}
	t.Fatal("Next never returned io.EOF")
	return nil, nil
}

func TestImportReader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		want       string
		refused    string
	}{
		{"json", "\n" + `{"api_key":"json0001","secret":"Json1Secret"}` + "\n\n" +
			`{"api_key":"json0002","secret_hash":"$argon2id$x"}` + "\r\n" +
			`{"api_key":"json0003"}` + "\n" + // no secret
			`{"api_key":"json0004","secret":"A1b2c3d4","secret_hash":"h"}` + "\n" +
			`{"api_key":"json0005","secret":"Json1Secret","extra":1}` + "\n" +
			`{"api_key":"json0006","secret":"Json1Secret","balance":1.5}` + "\n" +
			`{"api_key":"json0007","secret":"Json1Secret"} {}` + "\n" +
			`not json` + "\n" +
			`{"api_key":"json0008","secret":"Json1Secret","limits":{"max-calls-per-second":3}}`,
			"[2:json0001 4:json0002 11:json0008]", "[5 6 7 8 9 10]"},
		{"csv", "\ufeffapi_key,secret,balance,auto_reload_threshold,auto_reload_amount,max-calls-per-second\n" +
			"csv00001,Csv1Secret,1.50,,,\n" +
			"\n" +
			`csv00002,"Csv1,Secret",,5.00,20.00,7` + "\n" +
			"csv00003,,1.00,,,\n" + // no secret
			"csv00004,Csv1Secret,,5.00,,\n" + // half an auto-reload
			"csv00005,Csv1Secret,,,,seven\n" +
			"csv00006,Csv1Secret\n" + // too few fields
			"csv00007,Csv1Secret,,,,\n",
			"[2:csv00001 4:csv00002 9:csv00007]", "[5 6 7 8]"},
		{"empty", "  \n\n", "[]", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, refused := readAll(t, tc.file)
			if fmt.Sprint(got) != tc.want || fmt.Sprint(refused) != tc.refused {
				t.Errorf("read %v, refused %v; want %s, %s", got, refused, tc.want, tc.refused)
			}
		})
	}
}

func TestImportReaderCSVHeader(t *testing.T) {
	t.Parallel()
	for _, header := range []string{"api_key,secret,colour", "secret,balance", "api_key,api_key,secret", `"unclosed`} {
		_, err := adminapi.NewImportReader(strings.NewReader(header + "\nx,y\n"))
		var le *adminapi.LineError
		if !errors.As(err, &le) || le.Line != 1 {
			t.Errorf("header %q: %v, want a LineError for line 1", header, err)
		}
	}
}

// TestImportFile imports a CSV file in small batches: progress after each,
// refused lines reported by their line in the file, and nothing of a
// refused line left behind.
func TestImportFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := adminapi.New(newServer(t, 0), adminToken)
	if _, err := c.CreateAccount(ctx, adminapi.NewAccount{APIKey: "exists01"}); err != nil {
		t.Fatal(err)
	}
	file := "api_key,secret,primary_api_key,balance\n" +
		"file0001,File1Secret,,10.00\n" + // 2
		"file0002,File1Secret,file0001,1.00\n" + // 3: a subaccount of the line before
		"file0003,,,5.00\n" + // 4: refused by the reader
		"exists01,File1Secret,,3.00\n" + // 5: skipped, left alone
		"file0005,File1Secret,nobody00,7.00\n" + // 6: refused by the server
		"file0006,weak,,7.00\n" + // 7: refused by the server
		"file0007,File1Secret,,-1.00\n" + // 8: refused by the server
		"file0008,File1Secret,,0.5\n" // 9
	var progress []adminapi.ImportProgress
	sum, err := c.ImportFile(ctx, strings.NewReader(file), adminapi.ImportOptions{BatchLines: 2,
		Progress: func(p adminapi.ImportProgress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatalf("ImportFile: %v", err)
	}
	var lines []int
	for _, e := range sum.Errors {
		lines = append(lines, e.Line)
		if strings.Contains(e.Message, "weak") || strings.Contains(e.Message, "File1Secret") {
			t.Errorf("line %d: the message quotes a secret: %q", e.Line, e.Message)
		}
	}
	if sum.Imported != 3 || sum.Skipped != 1 || sum.Failed != 4 || fmt.Sprint(lines) != "[4 6 7 8]" {
		t.Errorf("summary %+v, refused lines %v; want 3 imported, 1 skipped, lines [4 6 7 8] refused", sum, lines)
	}
	want := []adminapi.ImportProgress{
		{Read: 2, Sent: 2, Imported: 2},
		{Read: 5, Sent: 4, Imported: 2, Skipped: 1, Failed: 2}, // line 4 refused locally, line 6 by the server
		{Read: 7, Sent: 6, Imported: 2, Skipped: 1, Failed: 4},
		{Read: 8, Sent: 7, Imported: 3, Skipped: 1, Failed: 4},
	}
	if fmt.Sprint(progress) != fmt.Sprint(want) {
		t.Errorf("progress\n %v\nwant %v", progress, want)
	}
	// Refused lines left nothing; imported ones are whole.
	for _, key := range []string{"file0003", "file0005", "file0006", "file0007"} {
		if _, err := c.Account(ctx, key); err == nil {
			t.Errorf("refused account %s exists", key)
		}
	}
	if a, err := c.Account(ctx, "file0002"); err != nil || a.PrimaryAPIKey != "file0001" || a.Balance != "1.00" || len(a.Secrets) != 1 {
		t.Errorf("file0002: %+v, %v", a, err)
	}
	if a, err := c.Account(ctx, "exists01"); err != nil || a.Balance != "0.00" {
		t.Errorf("a skipped account changed: %+v, %v", a, err)
	}
	if rep, err := c.VerifyLedger(ctx); err != nil || !rep.OK {
		t.Errorf("VerifyLedger: %+v, %v", rep, err)
	}
	// Again: everything exists now, nothing changes.
	again, err := c.ImportFile(ctx, strings.NewReader(file), adminapi.ImportOptions{})
	if err != nil || again.Imported != 0 || again.Skipped != 4 || again.Failed != 4 {
		t.Errorf("second import: %+v, %v", again, err)
	}
}

// FuzzImportReader: any file is read to its end without a panic, every
// line number is positive and increasing, and a refused line's message
// never repeats the line.
func FuzzImportReader(f *testing.F) {
	f.Add("{\"api_key\":\"abcd1234\",\"secret\":\"Abcdef12\"}\nnot json\n")
	f.Add("api_key,secret,balance\nabcd1234,Abcdef12,1.00\nx\n\"unclosed\n")
	f.Add("\ufeffapi-key,secret\n,\n")
	f.Fuzz(func(t *testing.T, file string) {
		ir, err := adminapi.NewImportReader(strings.NewReader(file))
		if err != nil {
			return
		}
		last := 0
		for range len(file) + 2 {
			_, line, err := ir.Next()
			if err == io.EOF {
				return
			}
			var le *adminapi.LineError
			if err != nil && !errors.As(err, &le) {
				return // the file ends there
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
			if le != nil && len(file) > 40 && strings.Contains(le.Message, file[:40]) {
				t.Fatalf("message %q quotes the file", le.Message)
			}
		}
		t.Fatal("Next never returned io.EOF")
	})
}
