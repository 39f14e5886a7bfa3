// Fetch One Account Secret: the id and creation date of one secret.
//
// The seed hard-codes the id; so that the program can run against a real
// account, SECRET_ID from the environment overrides it.
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

	response, _, err := accountClient.GetSecret(SECRET_ID)

	if err != nil {
		panic(err)
	}

	if response.ID != "" {
		date := response.CreatedAt.Format("Jan 2 2006")
		fmt.Println("Secret " + response.ID + " created " + date)
	}
}
