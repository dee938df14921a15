//go:build race

package textfn

// raceEnabled makes the exhaustive tests sample code points instead, since
// the race detector slows them down tenfold.
const raceEnabled = true
