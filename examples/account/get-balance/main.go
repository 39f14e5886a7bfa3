// Get Account Balance: check the current balance on your account.
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
	response, _, err := accountClient.GetBalance()

	if err != nil {
		panic(err)
	}

	fmt.Printf("Account balance: %f EUR", response.Value)
}
