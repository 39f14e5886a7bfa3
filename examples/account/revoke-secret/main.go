// Revoke Account Secret: delete a secret by its id. The only secret of an
// account cannot be revoked.
//
// The seed hard-codes the id; SECRET_ID from the environment overrides it.
package main

import (
	"fmt"
	"os"

	"github.com/vonage/vonage-go-sdk"
)

var (
	API_KEY    = os.Getenv("VONAGE_API_KEY")
	API_SECRET = os.Getenv("VONAGE_API_SECRET")
	SECRET_ID  = envOr("SECRET_ID", "abcdefab-0000-1111-2222-0123456789ef")
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	auth := vonage.CreateAuthFromKeySecret(API_KEY, API_SECRET)
	accountClient := vonage.NewAccountClient(auth)

	ok, errResp, err := accountClient.DeleteSecret(SECRET_ID)

	if err != nil {
		fmt.Println("ERROR: " + errResp.Title + ": " + errResp.Detail)
	}

	if ok {
		fmt.Println("Secret deleted")
	}

}
