package rules

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Load reads, validates and compiles the rule files at paths, in that order,
// into a RuleSet. It does every fallible step before returning, so a caller
// that swaps the result in never serves half a rule set. On failure the
// RuleSet is nil and the error joins one *Error per problem, in all files.
func Load(paths []string) (*RuleSet, error) {
	rs := &RuleSet{EmptyOnPurpose: len(paths) > 0}
	var errs []error
	firstDef := map[string]*Error{} // rule id → where it was first defined
	shared := 0                     // slots of shared conditions (Rule.Shared)
	// sameWhen finds the rules whose conditions are the same text over
	// lists of the same entries, in any file: the same condition, which
	// they share one result of per message.
	sameWhen := map[string]*Rule{}
	for _, path := range paths {
		rs.Files = append(rs.Files, path)
		src, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, &Error{File: path, Err: readError(err)})
			continue
		}
		f, ferrs := parseFile(path, src)
		if !f.emptyOnPurpose {
			rs.EmptyOnPurpose = false
		}

		c := &compiler{path: path, src: src, lists: map[string]*list{}}
		for _, ls := range f.lists {
			entries := ls.entries
			if ls.fileAt != nil {
				lf := ls.file
				if !filepath.IsAbs(lf) {
					lf = filepath.Join(filepath.Dir(path), lf)
				}
				rs.ListFiles = append(rs.ListFiles, lf)
				entries, err = ReadList(lf)
				if err != nil {
					// The list still gets a name, empty, so that the rules
					// using it report their own problems, not this one again.
					ferrs = append(ferrs, &Error{File: path, Line: ls.fileAt.Line, Column: ls.fileAt.Column,
						Err: fmt.Errorf("list %q: %w", ls.name, readError(err))})
				}
			}
			c.lists[ls.name] = &list{name: ls.name, entries: entries, seq: ls.seq}
			if ls.fileAt != nil {
				c.lists[ls.name].file = rs.ListFiles[len(rs.ListFiles)-1]
			}
			rs.Lists++
		}

		for i := range f.rules {
			spec := &f.rules[i]
			pos := &Error{File: path, Line: spec.node.Line, Column: spec.node.Column}
			if first, dup := firstDef[spec.id]; dup {
				ferrs = append(ferrs, &Error{File: path, Line: pos.Line, Column: pos.Column, Rule: spec.id,
					Err: fmt.Errorf("duplicate id, first defined at %s:%d:%d", first.File, first.Line, first.Column)})
				continue
			}
			firstDef[spec.id] = pos
			c.state = nil // the calls of a disabled rule never count
			if spec.enabled {
				c.state = &rs.State
			}
			r, rerrs := c.rule(spec)
			ferrs = append(ferrs, rerrs...)
			if r != nil && spec.valid && spec.enabled {
				r.Index = len(rs.Rules)
				rs.Rules = append(rs.Rules, r)
				if r.shareable {
					if first := sameWhen[r.shareKey]; first != nil {
						if first.Shared == 0 {
							shared++
							first.Shared = shared
						}
						r.Shared = first.Shared
					} else {
						sameWhen[r.shareKey] = r
					}
				}
				if r.Strike != nil {
					rs.Stateful = true
				}
			}
			if !spec.enabled {
				rs.Disabled++
			}
		}
		sortByPosition(ferrs)
		ferrs = append(ferrs, c.listErrs...) // in list order, after the rule file's own
		errs = append(errs, ferrs...)
		if c.usesPayload {
			rs.NeedsPayload = true
		}
		if f.tests != nil || len(f.rulesFiles) > 0 {
			ts := TestSource{File: path, Node: f.tests}
			for _, rf := range f.rulesFiles {
				if !filepath.IsAbs(rf) {
					rf = filepath.Join(filepath.Dir(path), rf)
				}
				ts.RulesFiles = append(ts.RulesFiles, rf)
			}
			rs.Tests = append(rs.Tests, ts)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(rs.State) > 0 {
		rs.Stateful = true
	}
	rs.plans = buildPlans(rs.Rules)
	return rs, nil
}

// rule compiles one parsed rule. Disabled rules are compiled too: a rule
// switched off today is switched on tomorrow, and should not surprise then.
func (c *compiler) rule(spec *ruleSpec) (*Rule, []error) {
	r := &Rule{
		ID:          spec.id,
		Description: spec.description,
		Action:      spec.action,
		Mode:        spec.mode,
		Triggers:    spec.triggers,
		Tags:        dedupe(spec.tags),
		Confidence:  spec.confidence,
		File:        c.path,
		Line:        spec.node.Line,
	}
	c.current = r
	var errs []error
	if spec.when != nil {
		prog, err := c.compile(spec.when, spec.id, "when", true)
		if err != nil {
			errs = append(errs, err)
		}
		r.Program, r.When = prog, spec.when.Value
		if !noFast {
			r.Fast, r.shareable = compileFast(prog)
			r.shareKey = shareKey(r.When, c.lastLists)
		}
	}
	for _, in := range spec.inject {
		p, err := c.compile(in.node, spec.id, "inject "+in.key, false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Inject = append(r.Inject, Inject{Key: in.key, Expr: in.node.Value, Program: p})
	}
	if st := spec.strike; st != nil && st.key != nil {
		if err := c.strike(spec.id, st, r); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// ReadList reads a list file: one entry a line, surrounding space trimmed,
// blank lines skipped, and '#' starting a comment that runs to the end of the
// line.
func ReadList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if line, err := checkText(data); err != nil {
		if line > 0 {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	entries := make([]string, 0, bytes.Count(data, []byte{'\n'})+1)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			entries = append(entries, line)
		}
	}
	return entries, sc.Err()
}

// checkText refuses list files that are not UTF-8 text before they are
// split into entries: a UTF-16 file (Notepad's "Unicode") or a binary file
// would otherwise load as entries that match nothing, and a large binary
// would take seconds and gigabytes to split. Every check is one pass over
// the bytes. line is where the problem is, 0 for the file as a whole.
func checkText(data []byte) (line int, err error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return 0, errors.New("the file is UTF-16 (Notepad calls it \"Unicode\"); lists must be UTF-8 text: save it as UTF-8")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return lineOf(data, i), errors.New("a NUL byte: this is not a text file (binary, or UTF-16 without a byte order mark); lists must be UTF-8 text")
	}
	if !utf8.Valid(data) {
		i := invalidUTF8(data)
		return lineOf(data, i), fmt.Errorf("invalid UTF-8 (byte 0x%02x); lists must be UTF-8 text: save the file as UTF-8", data[i])
	}
	return 0, nil
}

// invalidUTF8 returns the offset of the first byte of data that is not
// part of valid UTF-8.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

func lineOf(data []byte, offset int) int { return bytes.Count(data[:offset], []byte{'\n'}) + 1 }

// readError drops the path an *os.PathError repeats, since every message is
// already prefixed with the file it is about.
func readError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cannot read %s: no such file", pe.Path)
		}
		return fmt.Errorf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err
}

// Resolve turns the rules: entries of a configuration into file paths:
// relative entries are taken relative to dir, and globs are expanded, sorted.
// A glob matching nothing is an error, as is a missing plain path: a rule
// file that silently stops loading is how messages stop being moderated.
func Resolve(dir string, patterns []string) ([]string, error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	for _, p := range patterns {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("rules: bad pattern %q: %w", p, err))
				continue
			}
			if len(m) == 0 {
				errs = append(errs, fmt.Errorf("rules: pattern %q matches no files", p))
				continue
			}
			matches = m
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out, errors.Join(errs...)
}

func dedupe(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// sortByPosition orders the errors of one file by line and column, so they
// read top to bottom whichever step found them.
func sortByPosition(errs []error) {
	pos := func(err error) (int, int) {
		var e *Error
		if errors.As(err, &e) {
			return e.Line, e.Column
		}
		return 0, 0
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		la, ca := pos(a)
		lb, cb := pos(b)
		if la != lb {
			return la - lb
		}
		return ca - cb
	})
}
