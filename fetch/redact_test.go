package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestErrorsMaskSecrets: a fetch error names the URL without its password
// or secret query parameters, and a URL that does not parse not at all.
func TestErrorsMaskSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for raw, want := range map[string]string{
		strings.Replace(srv.URL, "http://", "http://u:pw-1@", 1) + "/feed?access_token=tok-2&page=1": "/feed?access_token=xxxxx&page=1: 127.0.0.1 is a loopback address",
		"ftp://u:pw-1@h/?api_key=tok-2": "fetch ftp://u:xxxxx@h/?api_key=xxxxx: not an absolute http or https URL",
		"http://u:pw-1%zz@h/":           "fetch <redacted>: not an absolute http or https URL",
	} {
		_, err := (&Client{}).Get(context.Background(), raw, nil)
		wantRefused(t, err, want)
		for _, s := range []string{"pw-1", "tok-2"} {
			if err != nil && strings.Contains(err.Error(), s) {
				t.Errorf("error shows %q: %v", s, err)
			}
		}
	}
}
