package textfn

import (
	"unicode/utf8"
)

// Phones returns the phone numbers in s, in order, as written. A phone
// number is 7 to 15 digits (the E.164 maximum) in groups separated by single
// spaces, hyphens, dots or slashes, optionally starting with "+" and with
// one group in parentheses: "+1 (555) 123-4567", "+44 20 7946 0958",
// "555-123-4567", "0049 30 1234567", "(030) 1234567", "5551234567".
//
// To keep ordinary numbers out, a candidate is rejected when it is a date
// ("2024-01-15", "15.01.2024", "01/15/2024"), an IP address or a decimal
// number, when it touches a letter or follows a currency sign or "#", and
// when it is a single run of fewer than 10 digits without "+". A number with
// no "+", leading "0" or parentheses must have a North American shape
// (555-1234, 555-123-4567, 1 555 123 4567), so that lists of numbers like
// "100 200 300", "2019 2020 2021" or "1990-2000" are not taken for phones;
// national numbers in other countries start with a trunk "0" and pass.
// Times, prices and short numbers like "42" or "1234" never qualify. The
// result is never nil.
func Phones(s string) []string {
	phones := []string{}
	for i := 0; i < len(s); {
		c := s[i]
		if ('0' <= c && c <= '9' || c == '+' || c == '(') && phoneStart(s, i) {
			end, next := matchPhone(s, i)
			if end > i {
				phones = append(phones, s[i:end])
			}
			if next > i {
				i = next
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return phones
}

// phoneStart reports whether a phone number may start at s[i].
func phoneStart(s string, i int) bool {
	if c := s[i]; c == '+' || c == '(' {
		if i+1 >= len(s) || s[i+1] < '0' || s[i+1] > '9' {
			return false
		}
	}
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	if isLetterOrDigit(r) {
		return false
	}
	switch r {
	case '.', '-', '/', '$', '€', '£', '¥', '#', ':', '_', '+', '@', '%', '(', '&', '=':
		return false
	}
	return true
}

// matchPhone parses a phone number candidate at s[i]. It returns the end of
// the phone number (i if there is none) and where scanning should go on (past
// the whole candidate, so that no number is found inside a rejected one).
func matchPhone(s string, i int) (end, next int) {
	var groups [16]int // digits per group
	var seps [16]byte  // separator before each group (0 for none)
	n := 0
	digits := 0
	plus := s[i] == '+'
	parens := false
	j := i
	if plus {
		j++
	}
	var sep byte
	for n < len(groups) {
		k := j
		paren := false
		if k < len(s) && s[k] == '(' {
			paren = true
			k++
		}
		d := k
		for d < len(s) && '0' <= s[d] && s[d] <= '9' {
			d++
		}
		if d == k {
			break
		}
		if paren {
			if d >= len(s) || s[d] != ')' || parens {
				break
			}
			d++
			parens = true
		}
		groups[n] = d - k
		if paren {
			groups[n]--
		}
		seps[n] = sep
		digits += groups[n]
		n++
		j = d
		// a separator: one of " -./", possibly with a space on either side,
		// or nothing next to a parenthesis
		sep = 0
		k = j
		if k < len(s) && s[k] == ' ' {
			sep = ' '
			k++
		}
		if k < len(s) && (s[k] == '-' || s[k] == '.' || s[k] == '/') {
			sep = s[k]
			k++
			if k < len(s) && s[k] == ' ' {
				k++
			}
		}
		if k < len(s) && ('0' <= s[k] && s[k] <= '9' || s[k] == '(' && !parens) {
			j = k
			continue
		}
		break
	}
	next = j
	if n == 0 {
		return i, i + 1
	}
	// A date at the start is skipped as a whole, and scanning resumes after it.
	if n >= 3 && !plus && seps[1] != 0 && seps[1] == seps[2] && (seps[1] == '-' || seps[1] == '/' || seps[1] == '.') &&
		isDate(groups[0], groups[1], groups[2]) {
		return i, datesEnd(s, i, groups[:3])
	}
	if !phoneEnd(s, j) || digits < 7 || digits > 15 {
		return i, next
	}
	dots := 0
	for _, c := range seps[1:n] {
		if c == '.' {
			dots++
		}
	}
	if dots > 0 && (groups[n-1] <= 2 || n == 4 && dots == 3 && maxGroup(groups[:n]) <= 3) {
		return i, next // a decimal number or an IP address
	}
	switch {
	case n == 1:
		if !plus && digits < 10 {
			return i, next
		}
	case plus || parens || s[i] == '0':
		// international or national (trunk prefix) form: free grouping
		if singles(groups[:n]) > 2 {
			return i, next
		}
	default:
		// otherwise only the North American shapes: 555-1234,
		// 555-123-4567, 1 555 123 4567
		if !nanp(groups[:n]) {
			return i, next
		}
	}
	return j, next
}

func nanp(g []int) bool {
	switch len(g) {
	case 2:
		return g[0] == 3 && g[1] == 4
	case 3:
		return g[0] == 3 && g[1] == 3 && g[2] == 4
	case 4:
		return g[0] == 1 && g[1] == 3 && g[2] == 3 && g[3] == 4
	}
	return false
}

// phoneEnd reports whether a phone number may end at s[j].
func phoneEnd(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	if isLetterOrDigit(r) {
		return false
	}
	switch r {
	case '%', '°', '$', '€', '£', '¥', '_', '@':
		return false
	case '.', ',', ':', '-', '/':
		// "1234567.5", "555-1234-", "10:30": part of something else
		return j+1 >= len(s) || s[j+1] < '0' || s[j+1] > '9'
	}
	return true
}

// isDate reports whether three digit groups have the shape of a date:
// 2024-01-15, 15.01.2024, 1/15/24.
func isDate(a, b, c int) bool {
	small := func(x int) bool { return x == 1 || x == 2 }
	return a == 4 && small(b) && small(c) || small(a) && small(b) && (c == 4 || c == 2)
}

// datesEnd returns the end of the three date groups starting at s[i].
func datesEnd(s string, i int, groups []int) int {
	j := i
	for g := range groups {
		for j < len(s) && (s[j] < '0' || s[j] > '9') {
			j++
		}
		j += groups[g]
	}
	return j
}

func maxGroup(g []int) int {
	m := 0
	for _, x := range g {
		m = max(m, x)
	}
	return m
}

func singles(g []int) int {
	n := 0
	for _, x := range g {
		if x == 1 {
			n++
		}
	}
	return n
}
