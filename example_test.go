package vonage_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/vonage/vonage-go-sdk"
)

// The examples are the six programs of the Account API guide (seed/account.md),
// unchanged except that API_KEY and API_SECRET come from the environment and a
// missing comma in the settings literal is added. TestMain points them at a fake
// server through VONAGE_BASE_URL, so their output is checked too.

func ExampleAccountClient_GetBalance() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

	auth := vonage.CreateAuthFromKeySecret(API_KEY, API_SECRET)
	accountClient := vonage.NewAccountClient(auth)
	response, _, err := accountClient.GetBalance()

	if err != nil {
		panic(err)
	}

	fmt.Printf("Account balance: %f EUR", response.Value)
	// Output: Account balance: 10.171275 EUR
}

func ExampleAccountClient_SetConfig() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

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
	// Output: Incoming SMS sent to: https://example.com/webhooks/inbound-sms
}

func ExampleAccountClient_ListSecrets() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

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
	// Output:
	// Secret ad6dc56f-07b5-46e1-a527-85530e625800 created Mar 2 2017
	// Secret abcdefab-0000-1111-2222-0123456789ef created Dec 3 2018
}

func ExampleAccountClient_GetSecret() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

	auth := vonage.CreateAuthFromKeySecret(API_KEY, API_SECRET)
	accountClient := vonage.NewAccountClient(auth)

	response, _, err := accountClient.GetSecret("abcdefab-0000-1111-2222-0123456789ef")

	if err != nil {
		panic(err)
	}

	if response.ID != "" {
		date := response.CreatedAt.Format("Jan 2 2006")
		fmt.Println("Secret " + response.ID + " created " + date)
	}
	// Output: Secret abcdefab-0000-1111-2222-0123456789ef created Dec 3 2018
}

func ExampleAccountClient_CreateSecret() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

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
	// Output: ERROR: Secret Addition Forbidden: Account already has the maximum number of secrets
}

func ExampleAccountClient_DeleteSecret() {
	API_KEY, API_SECRET := os.Getenv("VONAGE_API_KEY"), os.Getenv("VONAGE_API_SECRET")

	auth := vonage.CreateAuthFromKeySecret(API_KEY, API_SECRET)
	accountClient := vonage.NewAccountClient(auth)

	ok, errResp, err := accountClient.DeleteSecret("abcdefab-0000-1111-2222-0123456789ef")

	if err != nil {
		fmt.Println("ERROR: " + errResp.Title + ": " + errResp.Detail)
	}

	if ok {
		fmt.Println("Secret deleted")
	}
	// Output: Secret deleted
}

// TestMain serves the examples: a fake Account API under a path prefix, found
// through the environment the way the seed programs find a real one.
func TestMain(m *testing.M) {
	const key, secret = "seedkey1", "Seed-S3cret"
	secretJSON := func(id, created string) map[string]any {
		return map[string]any{"_links": map[string]any{"self": map[string]string{"href": "/accounts/" + key + "/secrets/" + id}}, "id": id, "created_at": created}
	}
	write := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	legacy := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.FormValue("api_key") != key || r.FormValue("api_secret") != secret {
				write(w, 401, map[string]string{"error-code": "401", "error-code-label": "authentication failed"})
				return
			}
			h(w, r)
		}
	}
	basic := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if k, s, ok := r.BasicAuth(); !ok || k != key || s != secret || r.PathValue("key") != key {
				write(w, 401, map[string]string{"type": "https://developer.nexmo.com/api-errors#unauthorized", "title": "Invalid credentials supplied"})
				return
			}
			h(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /prefix/account/get-balance", legacy(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value": 10.17127500, "autoReload": false}`)
	}))
	mux.HandleFunc("POST /prefix/account/settings", legacy(func(w http.ResponseWriter, r *http.Request) {
		write(w, 200, map[string]any{"mo-callback-url": r.PostFormValue("moCallBackUrl"), "dr-callback-url": r.PostFormValue("drCallBackUrl"),
			"max-outbound-request": 30, "max-inbound-request": 30, "max-calls-per-second": 30})
	}))
	mux.HandleFunc("GET /prefix/accounts/{key}/secrets", basic(func(w http.ResponseWriter, r *http.Request) {
		write(w, 200, map[string]any{"_links": map[string]any{"self": map[string]string{"href": "/accounts/" + key + "/secrets"}},
			"_embedded": map[string]any{"secrets": []any{secretJSON("ad6dc56f-07b5-46e1-a527-85530e625800", "2017-03-02T16:34:49Z"),
				secretJSON("abcdefab-0000-1111-2222-0123456789ef", "2018-12-03T10:07:23Z")}}})
	}))
	mux.HandleFunc("GET /prefix/accounts/{key}/secrets/{id}", basic(func(w http.ResponseWriter, r *http.Request) {
		write(w, 200, secretJSON(r.PathValue("id"), "2018-12-03T10:07:23Z"))
	}))
	mux.HandleFunc("POST /prefix/accounts/{key}/secrets", basic(func(w http.ResponseWriter, r *http.Request) {
		write(w, 403, map[string]string{"type": "https://developer.nexmo.com/api-errors/account/secret-management#add-excess-secret",
			"title": "Secret Addition Forbidden", "detail": "Account already has the maximum number of secrets", "instance": "x"})
	}))
	mux.HandleFunc("DELETE /prefix/accounts/{key}/secrets/{id}", basic(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewServer(mux)
	os.Setenv("VONAGE_BASE_URL", srv.URL+"/prefix")
	os.Setenv("VONAGE_API_KEY", key)
	os.Setenv("VONAGE_API_SECRET", secret)
	code := m.Run()
	srv.Close()
	os.Exit(code)
}
