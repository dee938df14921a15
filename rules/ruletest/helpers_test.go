package ruletest_test

import (
	"path/filepath"
	"testing"
)

func examplePacks(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/rules/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example rule packs: %v", err)
	}
	return files
}
