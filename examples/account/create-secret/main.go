// Create Account Secret: add a new secret, the first step of a rotation.
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

	response, errResp, err := accountClient.CreateSecret("T0pS3cr3t!")

	if err != nil {
		fmt.Println("ERROR: " + errResp.Title + ": " + errResp.Detail)
	}

	if response.ID != "" {
		date := response.CreatedAt.Format("Jan 2 2006")
		fmt.Println("Secret " + response.ID + " created " + date)
	}
}
