// Fetch All Account Secrets: the id and creation date of every secret.
package main

import (
	"fmt"
	"os"

	"github.com/vonage/vonage-go-sdk"
)

var (
	API_KEY    = os.Getenv("VONAGE_API_KEY")
	API_SECRET = os.Getenv("VONAGE_API_SECRET")
)

func main() {
	auth := vonage.CreateAuthFromKeySecret(API_KEY, API_SECRET)
	accountClient := vonage.NewAccountClient(auth)

	response, _, err := accountClient.ListSecrets()

	if err != nil {
		panic(err)
	}

	for i := 0; i < len(response.Secrets); i++ {
		date := response.Secrets[i].CreatedAt.Format("Jan 2 2006")
		fmt.Println("Secret " + response.Secrets[i].ID + " created " + date)
	}
}
