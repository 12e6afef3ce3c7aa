package agent

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/kefu-dev/kefu/bot"
	"github.com/kefu-dev/kefu/dialog"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// newTestAPI serves the console on a real runtime with demo data and two
// recorded orders: a cancellation and a call-back request.
func newTestAPI(t *testing.T) (srv *httptest.Server, orders []dialog.WorkOrder) {
	t.Helper()
	now := time.Now()
	rt, err := bot.Open(bot.Config{DataDir: t.TempDir(), Demo: true, Location: shanghai, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	member := bot.DemoProfiles(now, shanghai)[0]
	for _, req := range []dialog.OrderRequest{
		{Key: "t/1", Kind: dialog.KindCancelNow, MemberID: member.ID, Channel: "web", Conv: "c1", Reason: "=HYPERLINK(\"http://x\")", Executor: "bot", At: now},
		{Key: "t/2", Kind: dialog.KindCallback, Channel: "telegram", Conv: "c2", Reason: "asked", Executor: "bot", At: now},
	} {
		o, err := rt.WorkOrders().Execute(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o)
	}
	mux := http.NewServeMux()
	New(Config{Runtime: rt, Agents: map[string]string{"alice": "s3cret-token", "bob": "other"}, Location: shanghai}).Register(mux)
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, orders
}

func get(t *testing.T, u, token, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, b.String()
}

// errorOf decodes an {"error":"…"} body.
func errorOf(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("body %q is not {\"error\":\"…\"}", body)
	}
	return e.Error
}

func TestAuthorization(t *testing.T) {
	srv, orders := newTestAPI(t)
	u := srv.URL + "/api/workorders/" + orders[0].Number
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Basic s3cret-token", "s3cret-token", "Bearer s3cret-token-and-more"} {
		resp, body := get(t, u, auth, "")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Authorization %q: HTTP %d, want 401", auth, resp.StatusCode)
		}
		errorOf(t, body)
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("401 without WWW-Authenticate")
		}
	}
	for _, auth := range []string{"Bearer s3cret-token", "bearer other"} {
		if resp, body := get(t, u, auth, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("Authorization %q: HTTP %d %s, want 200", auth, resp.StatusCode, body)
		}
	}
}

func TestWorkOrderByNumber(t *testing.T) {
	srv, orders := newTestAPI(t)
	const auth = "Bearer s3cret-token"
	want := orders[0]
	typed := strings.ToLower(want.Number[:10]) + "-" + want.Number[10:13] + " " + want.Number[13:]
	for _, n := range []string{want.Number, typed} {
		resp, body := get(t, srv.URL+"/api/workorders/"+url.PathEscape(n), auth, "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: HTTP %d %s", n, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var got dialog.WorkOrder
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Number != want.Number || got.Kind != dialog.KindCancelNow || got.MemberID != want.MemberID || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Fatalf("GET %s = %+v, want %+v", n, got, want)
		}
	}

	wrongDigit := want.Number[:16] + string(rune('0'+(want.Number[16]-'0'+1)%10))
	unknown := dialog.FormatNumber(time.Now().In(shanghai), 999999)
	for _, tc := range []struct {
		number string
		status int
		says   string
	}{
		{"WO123", http.StatusBadRequest, "15 digits"},
		{"XX202611240000127", http.StatusBadRequest, "15 digits"},
		{wrongDigit, http.StatusBadRequest, "check digit"},
		{unknown, http.StatusNotFound, unknown},
	} {
		resp, body := get(t, srv.URL+"/api/workorders/"+tc.number, auth, "")
		if resp.StatusCode != tc.status {
			t.Fatalf("GET %s: HTTP %d, want %d", tc.number, resp.StatusCode, tc.status)
		}
		if msg := errorOf(t, body); !strings.Contains(msg, tc.says) {
			t.Fatalf("GET %s: error %q, want it to mention %q", tc.number, msg, tc.says)
		}
	}
}

func TestWorkOrdersSince(t *testing.T) {
	srv, orders := newTestAPI(t)
	const auth = "Bearer other"
	list := func(since string) []dialog.WorkOrder {
		t.Helper()
		resp, body := get(t, srv.URL+"/api/workorders?since="+url.QueryEscape(since), auth, "application/json")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("since %s: HTTP %d %s", since, resp.StatusCode, body)
		}
		var got struct {
			WorkOrders []dialog.WorkOrder `json:"work_orders"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || got.WorkOrders == nil {
			t.Fatalf("since %s: body %s (%v), want {\"work_orders\":[…]}", since, body, err)
		}
		return got.WorkOrders
	}
	got := list(time.Now().Add(-time.Hour).Format(time.RFC3339))
	if len(got) != 2 || got[0].Number != orders[0].Number || got[1].Number != orders[1].Number {
		t.Fatalf("orders since an hour ago: %v, want %s and %s", got, orders[0].Number, orders[1].Number)
	}
	if got := list(time.Now().Add(time.Hour).Format(time.RFC3339)); len(got) != 0 {
		t.Fatalf("orders since an hour ahead: %v, want none", got)
	}
	for _, q := range []string{"", "?since=yesterday", "?since=2026-11-24"} {
		resp, body := get(t, srv.URL+"/api/workorders"+q, auth, "")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorOf(t, body), "RFC 3339") {
			t.Fatalf("GET /api/workorders%s: HTTP %d %s, want 400 naming RFC 3339", q, resp.StatusCode, body)
		}
	}
}

func TestWorkOrdersCSV(t *testing.T) {
	srv, orders := newTestAPI(t)
	since := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	resp, body := get(t, srv.URL+"/api/workorders?since="+since, "Bearer s3cret-token", "text/csv")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("CSV rows %q, want the header and two orders", rows)
	}
	col := func(name string) int {
		for i, h := range csvHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	if rows[1][0] != orders[0].Number || rows[1][col("kind")] != "cancel_now" || rows[2][col("kind")] != "callback" {
		t.Fatalf("CSV rows %q", rows[1:])
	}
	if reason := rows[1][col("reason")]; !strings.HasPrefix(reason, "'=") {
		t.Fatalf("reason %q exported as a live formula", reason)
	}
	if created, err := time.Parse(time.RFC3339, rows[1][col("created_at")]); err != nil || !strings.HasSuffix(rows[1][col("created_at")], "+08:00") {
		t.Fatalf("created_at %q (%v), want RFC 3339 in Asia/Shanghai", rows[1][col("created_at")], err)
	} else if created.Unix() != orders[0].CreatedAt.Unix() {
		t.Fatalf("created_at %v, want %v", created, orders[0].CreatedAt)
	}

	resp, body = get(t, srv.URL+"/api/workorders/"+orders[1].Number, "Bearer s3cret-token", "text/csv, application/json;q=0.5")
	if rows, err := csv.NewReader(strings.NewReader(body)).ReadAll(); err != nil || resp.StatusCode != http.StatusOK || len(rows) != 2 || rows[1][0] != orders[1].Number {
		t.Fatalf("one order as CSV: HTTP %d %q %v", resp.StatusCode, body, err)
	}
}
