package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	proxies, err := Parse(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxies: the peer", "203.0.113.5:1234", []string{"198.51.100.1"}, nil, "203.0.113.5"},
		{"untrusted peer: a forged header is ignored", "203.0.113.5:1234", []string{"198.51.100.1"}, proxies, "203.0.113.5"},
		{"trusted peer: the address it saw", "10.1.2.3:80", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"a chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.1, 192.0.2.7, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"what the client wrote itself is ignored", "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"several header lines", "10.1.2.3:80", []string{"6.6.6.6", "198.51.100.1"}, proxies, "198.51.100.1"},
		{"with a port", "10.1.2.3:80", []string{"198.51.100.1:5555"}, proxies, "198.51.100.1"},
		{"IPv6", "[fd00::1]:80", []string{"[2001:db8::9]:5555"}, proxies, "2001:db8::9"},
		{"IPv4-mapped peer", "[::ffff:192.0.2.7]:80", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"no header: the proxy", "10.1.2.3:80", nil, proxies, "10.1.2.3"},
		{"all trusted: the leftmost", "10.1.2.3:80", []string{"10.0.0.1, 10.0.0.2"}, proxies, "10.0.0.1"},
		{"malformed: stop at the last trusted hop", "10.1.2.3:80", []string{"198.51.100.1, bogus, 10.0.0.2"}, proxies, "10.0.0.2"},
	} {
		r := &http.Request{RemoteAddr: tc.peer, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := Of(r, tc.trusted); got != tc.want {
			t.Errorf("%s: Of = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseRefusesWhatIsNotAnAddress(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.1-10.0.0.9"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	if p, err := Parse(""); err != nil || len(p) != 0 {
		t.Errorf("Parse(\"\") = %v, %v", p, err)
	}
}
