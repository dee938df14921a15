module github.com/modgate/modgate/bench/peers

go 1.26.8

require (
	github.com/TwiN/go-away v1.6.13
	github.com/modgate/modgate v0.0.0
)

require (
	golang.org/x/net v0.59.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/modgate/modgate => ../..
