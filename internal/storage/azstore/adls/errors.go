package adls

import (
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// responseErr turns a failed dfs answer into a storage error. The service
// names the error in x-ms-error-code (and in a JSON body, which
// runtime.NewResponseError reads too).
func responseErr(op, key string, resp *http.Response) error {
	err := runtime.NewResponseError(resp) // reads and closes the body
	return storage.Errorf(op, key, kindOf(resp.StatusCode, resp.Header.Get("x-ms-error-code")), err)
}

// kindOf maps a dfs status and error code to a sentinel.
func kindOf(status int, code string) error { return storage.Classify(status, code) }
