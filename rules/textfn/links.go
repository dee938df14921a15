package textfn

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// URLs returns the links in s, in order, as written: URLs with a scheme
// ("https://x.com/a?b", "ftp://host"), "www." names ("www.example.org") and
// bare domain names with an optional port and path ("cheap-pills.biz",
// "shop.example.co.uk/offer"). A bare name counts only if it ends in a real
// top-level domain of the public suffix list, so "e.g", "file.txt" and "3.14"
// are not links; an e-mail address is not a link. Trailing punctuation
// (".", ",", ")", "!", "?", quotes) is left out unless a bracket opened inside
// the link closes it ("https://en.wikipedia.org/wiki/Go_(game)").
//
// Some real top-level domains are also common file extensions. A bare name
// ending in .zip, .mov, .py, .md or .sh ("report.zip", "setup.py") is taken
// for a file name, not a link; the same name with a scheme, a "www.", a port
// or a path ("evil.zip/x") is a link. The result is never nil.
func URLs(s string) []string {
	urls := []string{}
	scanLinks(s, func(start, end int) { urls = append(urls, s[start:end]) }, nil)
	return urls
}

// Domains returns the host names of URLs(s), lower-cased, without scheme,
// user information, port or trailing dot, each once, in order of first
// appearance. International names stay in Unicode ("пример.рф"). The result
// is never nil.
func Domains(s string) []string {
	domains := []string{}
	scanLinks(s, func(start, end int) {
		h := hostOf(s[start:end])
		if h == "" {
			return
		}
		for _, d := range domains {
			if d == h {
				return
			}
		}
		domains = append(domains, h)
	}, nil)
	return domains
}

// Emails returns the e-mail addresses in s, in order, as written: a local
// part of letters, digits and ". _ % + -", an "@", and a domain name that
// ends in a real top-level domain. Addresses inside a link with a scheme
// (the user part of "ftp://me@host.com") are not listed. The result is never
// nil.
func Emails(s string) []string {
	emails := []string{}
	scanLinks(s, nil, func(start, end int) { emails = append(emails, s[start:end]) })
	return emails
}

// scanLinks walks s once, calling onURL for each link and onEmail for each
// e-mail address, so that the two never claim the same text.
func scanLinks(s string, onURL, onEmail func(start, end int)) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !linkStart(s, i) || !(isLetterOrDigit(r)) {
			i += size
			continue
		}
		if e := matchEmail(s, i); e > i {
			if onEmail != nil {
				onEmail(i, e)
			}
			i = e
			continue
		}
		if e := matchSchemeURL(s, i); e > i {
			if onURL != nil {
				onURL(i, e)
			}
			i = e
			continue
		}
		if e := matchBareURL(s, i); e > i {
			if onURL != nil {
				onURL(i, e)
			}
			i = e
			continue
		}
		// Skip the rest of this word: a link cannot start inside it.
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isLetterOrDigit(r) {
				break
			}
			i += size
		}
	}
}

func isLetterOrDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// linkStart reports whether a link or address may start at s[i]: not in the
// middle of a word, a host name, a path or an address.
func linkStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	if isLetterOrDigit(r) {
		return false
	}
	switch r {
	case '.', '-', '_', '@', '/', '\\', '%', '+', '&', '=', '#', '~', '$':
		return false
	}
	return true
}

// scanHost parses dot-separated labels (letters, digits and inner hyphens)
// at s[i:]. It returns where the host ends, not counting a final dot, and
// how many labels it has.
func scanHost(s string, i int) (end, labels int) {
	end = i
	for {
		j := i
		hyphen := false
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if isLetterOrDigit(r) {
				hyphen = false
			} else if r == '-' && i > j {
				hyphen = true
			} else {
				break
			}
			i += size
		}
		if i == j || hyphen || i-j > 63 {
			return end, labels
		}
		end, labels = i, labels+1
		if i+1 < len(s) && s[i] == '.' {
			if r, _ := utf8.DecodeRuneInString(s[i+1:]); isLetterOrDigit(r) {
				i++
				continue
			}
		}
		return end, labels
	}
}

// fileLikeTLDs are top-level domains that, on a bare name, more likely end a
// file name than a domain name.
var fileLikeTLDs = map[string]bool{"zip": true, "mov": true, "py": true, "md": true, "sh": true}

// publicHost reports whether host (two labels or more) ends in a top-level
// domain of the public suffix list and has a registrable name before it.
func publicHost(host string) bool {
	host = strings.ToLower(host)
	dot := strings.LastIndexByte(host, '.')
	if dot < 0 {
		return false
	}
	if tld := host[dot+1:]; !isASCII(tld) {
		a, err := idna.ToASCII(tld)
		if err != nil {
			return false
		}
		host = host[:dot+1] + a
	} else if strings.Trim(tld, "0123456789") == "" {
		return false // an IP address or a number
	}
	ps, icann := publicsuffix.PublicSuffix(host)
	if !icann && !strings.Contains(ps, ".") {
		return false // not on the list: the list's default rule answered
	}
	return len(host) > len(ps)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// matchEmail returns the end of an e-mail address starting at s[i], or i.
func matchEmail(s string, i int) int {
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isLetterOrDigit(r) && !strings.ContainsRune("._%+-", r) {
			break
		}
		j += size
	}
	if j == i || j >= len(s) || s[j] != '@' || s[j-1] == '.' || s[i] == '.' || strings.Contains(s[i:j], "..") {
		return i
	}
	end, labels := scanHost(s, j+1)
	if labels < 2 || !publicHost(s[j+1:end]) || !linkEnd(s, end) {
		return i
	}
	return end
}

// linkEnd reports whether a host name may end at s[end]: it is not followed
// by more of a word or an address.
func linkEnd(s string, end int) bool {
	if end >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[end:])
	return !isLetterOrDigit(r) && r != '@' && r != '_' && r != '-'
}

// matchSchemeURL returns the end of a URL with a scheme ("https://…")
// starting at s[i], or i.
func matchSchemeURL(s string, i int) int {
	j := i
	for j < len(s) && j-i <= 32 {
		c := s[j]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || j > i && ('0' <= c && c <= '9' || c == '+' || c == '.' || c == '-') {
			j++
			continue
		}
		break
	}
	if j-i < 2 || !strings.HasPrefix(s[j:], "://") {
		return i
	}
	end := urlTail(s, j+3)
	auth := s[j+3 : end]
	if k := strings.IndexAny(auth, "/?#"); k >= 0 {
		auth = auth[:k]
	}
	if hostOfAuthority(auth) == "" {
		return i
	}
	return end
}

// matchBareURL returns the end of a link without a scheme ("www.x.org",
// "x.com/path") starting at s[i], or i.
func matchBareURL(s string, i int) int {
	end, labels := scanHost(s, i)
	if labels < 2 || !publicHost(s[i:end]) {
		return i
	}
	host := s[i:end]
	plain := true // no www., port or path
	if len(host) > 4 && strings.EqualFold(host[:4], "www.") {
		plain = false
	}
	if end+1 < len(s) && s[end] == ':' {
		k := end + 1
		for k < len(s) && k-end <= 5 && '0' <= s[k] && s[k] <= '9' {
			k++
		}
		if k > end+1 && k-end <= 6 {
			end, plain = k, false
		}
	}
	if end < len(s) && strings.IndexByte("/?#", s[end]) >= 0 {
		end, plain = urlTail(s, end), false
	} else if !linkEnd(s, end) {
		return i
	}
	if plain {
		tld := strings.ToLower(host[strings.LastIndexByte(host, '.')+1:])
		if fileLikeTLDs[tld] {
			return i
		}
	}
	return end
}

// urlTail returns the end of the URL characters starting at s[i], without
// trailing punctuation and unbalanced closing brackets.
func urlTail(s string, i int) int {
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>\"`", r) || r == utf8.RuneError {
			break
		}
		j += size
	}
	for j > i {
		r, size := utf8.DecodeLastRuneInString(s[i:j])
		switch {
		case r == ')' && balanced(s[i:j], '(', ')'),
			r == ']' && balanced(s[i:j], '[', ']'),
			r == '}' && balanced(s[i:j], '{', '}'):
			return j
		case strings.ContainsRune(".,;:!?'\")]}*", r),
			r >= utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
			j -= size
			continue
		}
		return j
	}
	return j
}

// balanced reports whether s has as many open as close brackets.
func balanced(s string, open, close rune) bool {
	return strings.Count(s, string(open)) >= strings.Count(s, string(close))
}

// hostOf returns the lower-cased host name of a link found by URLs.
func hostOf(link string) string {
	if k := strings.Index(link, "://"); k >= 0 {
		link = link[k+3:]
	}
	if k := strings.IndexAny(link, "/?#"); k >= 0 {
		link = link[:k]
	}
	return hostOfAuthority(link)
}

// hostOfAuthority returns the lower-cased host of "user:pw@host:port".
func hostOfAuthority(auth string) string {
	if k := strings.LastIndexByte(auth, '@'); k >= 0 {
		auth = auth[k+1:]
	}
	if strings.HasPrefix(auth, "[") {
		if k := strings.IndexByte(auth, ']'); k > 0 {
			return strings.ToLower(auth[:k+1])
		}
		return ""
	}
	if k := strings.LastIndexByte(auth, ':'); k >= 0 {
		auth = auth[:k]
	}
	auth = strings.TrimSuffix(auth, ".")
	if end, labels := scanHost(auth, 0); labels == 0 || end != len(auth) {
		return ""
	}
	return strings.ToLower(auth)
}
