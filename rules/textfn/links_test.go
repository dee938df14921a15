package textfn

import (
	"slices"
	"testing"
)

func TestURLs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"no links here", []string{}},
		{"see https://x.com/a?b", []string{"https://x.com/a?b"}},
		{"HTTP://Example.COM", []string{"HTTP://Example.COM"}},
		{"visit www.example.org.", []string{"www.example.org"}},
		{"buy at cheap-pills.biz!", []string{"cheap-pills.biz"}},
		{"shop.example.co.uk/offer?id=1, now", []string{"shop.example.co.uk/offer?id=1"}},
		{"(see https://en.wikipedia.org/wiki/Go_(game))", []string{"https://en.wikipedia.org/wiki/Go_(game)"}},
		{"(https://x.com/a)", []string{"https://x.com/a"}},
		{"«https://x.com/a»", []string{"https://x.com/a"}},
		{"link:https://x.com", []string{"https://x.com"}},
		{"http://localhost:8080/x and http://192.168.0.1/", []string{"http://localhost:8080/x", "http://192.168.0.1/"}},
		{"https://user:pw@host.example.com:8443/p", []string{"https://user:pw@host.example.com:8443/p"}},
		{"example.com:8080 and foo.github.io", []string{"example.com:8080", "foo.github.io"}},
		{"пример.рф и bücher.de", []string{"пример.рф", "bücher.de"}},
		{"two:a.com,b.org", []string{"a.com", "b.org"}},
		// not links
		{"e.g. i.e. file.txt 3.14 v1.2 192.168.0.1", []string{}},
		{"report.zip setup.py README.md run.sh video.mov", []string{}},
		{"mail john.smith@example.com", []string{}},
		{"foo.unknowntld co.uk localhost", []string{}},
		{"http:// nothing", []string{}},
		// file-like top-level domains with a scheme, www or a path are links
		{"evil.zip/x www.evil.zip https://evil.mov", []string{"evil.zip/x", "www.evil.zip", "https://evil.mov"}},
	}
	for _, tt := range tests {
		if got := URLs(tt.in); got == nil || !slices.Equal(got, tt.want) {
			t.Errorf("URLs(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestDomains(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"https://user:pw@WWW.Example.COM:8443/p www.example.com/x HTTPS://www.example.com.",
			[]string{"www.example.com"}},
		{"http://[::1]:8080/x a.com b.org/x a.com", []string{"[::1]", "a.com", "b.org"}},
		{"ПРИМЕР.РФ/путь", []string{"пример.рф"}},
		{"https://example.com./x", []string{"example.com"}},
	}
	for _, tt := range tests {
		if got := Domains(tt.in); got == nil || !slices.Equal(got, tt.want) {
			t.Errorf("Domains(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestEmails(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"write to John.Smith+tag@Example.co.uk.", []string{"John.Smith+tag@Example.co.uk"}},
		{"a@b.com, c_d@e-f.org; mailto:g@h.io", []string{"a@b.com", "c_d@e-f.org", "g@h.io"}},
		{"josé@correo.es", []string{"josé@correo.es"}},
		// not addresses
		{"@john hi", []string{}},
		{"user@localhost user@file.txt a@b", []string{}},
		{".a@b.com a.@b.com a..b@c.com", []string{}},
		{"https://user@example.com/ ftp://me:pw@host.com", []string{}},
		{"price 5@10.00", []string{}},
	}
	for _, tt := range tests {
		if got := Emails(tt.in); got == nil || !slices.Equal(got, tt.want) {
			t.Errorf("Emails(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
