// Command floor is the load test's baseline: a bare Echo server that reads
// the request body and answers {}. modgate's throughput is reported as a
// share of this floor, measured in the same run on the same machine.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	_ "net/http/pprof"

	"github.com/labstack/echo/v4"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:18081", "address to listen on")
	pprofAddr := flag.String("pprof", "", "serve /debug/pprof/ on this address too, to compare profiles with modgate's")
	flag.Parse()
	if *pprofAddr != "" {
		go func() { log.Print(http.ListenAndServe(*pprofAddr, nil)) }()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/webhooks/cometchat", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, []byte(`{}`))
	})
	log.Fatal(e.Start(*addr))
}
