// Package prometheusgo parses kavach's Metrics() with Prometheus' own text parser
// (github.com/prometheus/common/expfmt) and checks the counts against the requests made. It is a
// module of its own so that the Go binding keeps no dependency.
package prometheusgo

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	kavach "github.com/kavach/kavach/bindings/go"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const origin = "http://localhost:3000"

func send(h http.Handler, method, path, body string, header ...string) int {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// value is the value of the series of family with exactly these labels (-1: none).
func value(families map[string]*dto.MetricFamily, family string, labels map[string]string) float64 {
	f, ok := families[family]
	if !ok {
		return -1
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetricsParseAndCountTheRequestsMade(t *testing.T) {
	k, err := kavach.New(kavach.Config{
		Database: &kavach.DatabaseConfig{URL: "file:" + filepath.Join(t.TempDir(), "kavach.db")},
		Secret:   "a-test-secret-of-at-least-thirty-two-bytes",
		BaseURL:  origin,
		Passkey:  &kavach.PasskeyConfig{RPName: "Test", RPID: "localhost"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	user, err := k.CreateUser("metrics@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	session, err := k.CreateSession(user.ID)
	if err != nil {
		t.Fatal(err)
	}
	h := k.Handler()
	cookie := "kavach_session=" + session.Token
	made := map[[3]string]int{}
	do := func(method, path, route, body string, want int, header ...string) {
		if got := send(h, method, path, body, header...); got != want {
			t.Fatalf("%s %s = %d, want %d", method, path, got, want)
		}
		made[[3]string{route, method, http.StatusText(want)}]++
	}
	for i := 0; i < 3; i++ {
		do("POST", "/auth/passkey/authenticate/options", "/passkey/authenticate/options", "{}", 200)
	}
	do("POST", "/auth/passkey/register/options", "/passkey/register/options", "{}", 200, "Cookie", cookie)
	do("POST", "/auth/passkey/register/options", "/passkey/register/options", "{}", 401)
	do("GET", "/auth/session", "/session", "", 200, "Cookie", cookie)
	do("GET", "/auth/session", "/session", "", 401)
	do("DELETE", "/auth/passkey/credentials/AAAA", "/passkey/credentials/:id", "", 404, "Cookie", cookie)
	do("DELETE", "/auth/passkey/credentials/BBBB", "/passkey/credentials/:id", "", 404, "Cookie", cookie)
	do("DELETE", "/auth/sessions/not-a-session", "/sessions/:id", "", 404, "Cookie", cookie)

	text, err := k.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, text)
	}

	total := 0
	for key, n := range made {
		status := map[string]string{"OK": "200", "Unauthorized": "401", "Not Found": "404"}[key[2]]
		labels := map[string]string{"route": key[0], "method": key[1], "status": status}
		if got := value(families, "kavach_http_requests_total", labels); got != float64(n) {
			t.Errorf("kavach_http_requests_total%v = %v, want %d", labels, got, n)
		}
		total += n
	}
	sum, samples := 0.0, 0.0
	for _, m := range families["kavach_http_requests_total"].GetMetric() {
		sum += m.GetCounter().GetValue()
	}
	for _, m := range families["kavach_http_request_duration_seconds"].GetMetric() {
		samples += float64(m.GetHistogram().GetSampleCount())
	}
	if sum != float64(total) || samples != float64(total) {
		t.Errorf("%v requests and %v latency samples counted, %d made", sum, samples, total)
	}
	if f := families["kavach_http_request_duration_seconds"]; f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("latency is a %v", f.GetType())
	}
	if got := value(families, "kavach_http_errors_total", map[string]string{"route": "/passkey/credentials/:id", "code": "CREDENTIAL_NOT_FOUND"}); got != 2 {
		t.Errorf("CREDENTIAL_NOT_FOUND errors = %v, want 2", got)
	}
	if got := value(families, "kavach_events_total", map[string]string{"type": "user.created", "code": ""}); got != 1 {
		t.Errorf("user.created events = %v, want 1", got)
	}
	if strings.Contains(text, "AAAA") || strings.Contains(text, "not-a-session") {
		t.Error("a raw id in a label")
	}
}
