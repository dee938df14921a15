package rules

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/yaml.v3"
)

// decodeOne decodes the one YAML document a rule file holds. root is nil
// when the file holds no document at all (empty, or only comments). A second
// document is an error: a loader that read only the first would silently
// drop every rule after the ---.
func decodeOne(path string, src []byte) (root *yaml.Node, errs []error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, []error{yamlError(path, err)}
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, []error{yamlError(path, err)}
		}
		if n := docRoot(&next); n != nil {
			return nil, []error{&Error{File: path, Line: n.Line, Column: n.Column,
				Err: errors.New("a second YAML document (after ---): a rule file holds one document; merge them, or put the second in a file of its own and list it under rules: in the config")}}
		}
	}
	return docRoot(&doc), nil
}

// docRoot returns the content of a document node, or nil when it is empty.
func docRoot(doc *yaml.Node) *yaml.Node {
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil
	}
	return doc.Content[0]
}

// maxTestNodes bounds the tests: section once its aliases are expanded:
// the test runner re-encodes each case, and aliases of aliases (a "billion
// laughs") would otherwise expand exponentially there.
const maxTestNodes = 100000

// expandedSize counts the nodes of n as if every shared node were copied,
// without copying: each node's size is computed once.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = maxTestNodes + 1 // a cycle counts as too large
	size := 1
	for _, c := range n.Content {
		size += expandedSize(c, memo)
		if size > maxTestNodes {
			break
		}
	}
	memo[n] = size
	return size
}

// resolveAliases replaces every alias below n with the node its anchor
// names and expands merge keys (<<: *defaults), as Prometheus' rule files
// allow, so that the parser only ever sees plain mappings, lists and
// scalars. Each node is resolved once, so aliases of aliases cost no more
// than the nodes they name; an anchor that contains an alias of itself is
// an error. Problems found on the way are recorded on p.
func (p *parser) resolveAliases(n *yaml.Node) {
	if p.resolved[n] {
		return
	}
	if p.resolving == nil {
		p.resolving, p.resolved = map[*yaml.Node]bool{}, map[*yaml.Node]bool{}
	}
	p.resolving[n] = true
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			if p.resolving[c.Alias] {
				p.errorf(c, "", "alias *%s refers to the node that contains it", c.Value)
				continue
			}
			// Sharing the anchored node is safe: the parser only reads it.
			n.Content[i] = c.Alias
			c = c.Alias
		}
		p.resolveAliases(c)
	}
	if n.Kind == yaml.MappingNode {
		p.expandMerges(n)
	}
	delete(p.resolving, n)
	p.resolved[n] = true
}

// expandMerges replaces the merge keys of mapping n with the keys they
// bring in. Keys written in n win over merged ones, and of several merged
// mappings the first wins, as the YAML merge key type says. It reports
// whether n is usable.
func (p *parser) expandMerges(n *yaml.Node) bool {
	hasMerge := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) {
			hasMerge = true
			break
		}
	}
	if !hasMerge {
		return true
	}
	var own, merged []*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMergeKey(k) {
			own = append(own, k, n.Content[i+1])
			seen[k.Value] = true
		}
	}
	ok := true
	add := func(m *yaml.Node) {
		for m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		if p.resolving[m] {
			p.errorf(m, "", "a merge key (<<) merges the mapping that contains it")
			ok = false
			return
		}
		if m.Kind != yaml.MappingNode {
			p.errorf(m, "", "a merge key (<<) must name a mapping, got %s", kindName(m))
			ok = false
			return
		}
		p.resolveAliases(m)
		for j := 0; j+1 < len(m.Content); j += 2 {
			if k := m.Content[j]; !seen[k.Value] {
				seen[k.Value] = true
				merged = append(merged, k, m.Content[j+1])
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			continue
		}
		v := n.Content[i+1]
		for v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v.Kind == yaml.SequenceNode {
			for _, m := range v.Content {
				add(m)
			}
		} else {
			add(v)
		}
	}
	n.Content = append(own, merged...)
	return ok
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!merge" && n.Value == "<<"
}
