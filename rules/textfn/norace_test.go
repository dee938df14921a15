//go:build !race

package textfn

const raceEnabled = false
