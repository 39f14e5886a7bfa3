// Configure Account: set the default URLs for incoming SMS and delivery
// receipts.
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

	opts := vonage.AccountConfigSettings{
		MoCallbackUrl: "https://example.com/webhooks/inbound-sms",
		DrCallbackUrl: "https://example.com/webhooks/delivery-receipt",
	}
	response, _, err := accountClient.SetConfig(opts)

	if err != nil {
		panic(err)
	}

	fmt.Println("Incoming SMS sent to: " + response.MoCallbackUrl)
}
