package adminapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vonage/vonage-go-sdk/internal/account"
	"github.com/vonage/vonage-go-sdk/internal/adminapi"
)

// TestImportFileBatchBytes: a file of long lines (argon2id hashes, as a
// migration brings them) is sent in requests under the server's body
// limit, not cut short by a 413 after a count of lines.
func TestImportFileBatchBytes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := adminapi.New(newServer(t, 0), adminToken) // the default limit, 64 KiB
	hash, err := account.HashSecret("Bytes1Secret", account.TestHashParams)
	if err != nil {
		t.Fatal(err)
	}
	var file strings.Builder
	const n = 1200 // about 150 bytes a line: 500 lines would be 73 KiB
	for i := range n {
		fmt.Fprintf(&file, `{"api_key":"byts%04d","secret_hash":%q,"balance":"1.00"}`+"\n", i, hash)
	}
	var progress []adminapi.ImportProgress
	sum, err := c.ImportFile(ctx, strings.NewReader(file.String()), adminapi.ImportOptions{
		Progress: func(p adminapi.ImportProgress) { progress = append(progress, p) }})
	if err != nil || sum.Imported != n || sum.Failed != 0 {
		t.Fatalf("ImportFile = %+v, %v; want %d imported", sum, err, n)
	}
	// 48 KiB requests: 1200 lines of ~150 bytes take at least 4.
	if len(progress) < 4 || progress[0].Sent >= 500 || progress[len(progress)-1].Sent != n {
		t.Errorf("progress %v", progress)
	}
	// A smaller bound is kept too.
	small, err := c.ImportFile(ctx, strings.NewReader(file.String()), adminapi.ImportOptions{BatchBytes: 1000,
		Progress: func(p adminapi.ImportProgress) {
			if p.Sent%6 != 0 && p.Sent != n {
				t.Errorf("a 1000-byte request held other than 6 lines: %+v", p)
			}
		}})
	if err != nil || small.Skipped != n {
		t.Errorf("second import = %+v, %v", small, err)
	}
}
