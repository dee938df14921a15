package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/labstack/echo/v4"
)

// adminAuthenticate checks admin_auth on every admin request but the
// probes, unknown paths included, so that without credentials the listener
// reveals nothing, not even which paths exist. Kubernetes probes and load
// balancers cannot send credentials, and /healthz and /readyz tell nothing.
// Failures are not counted in modgate_requests_rejected_total, which counts
// CometChat's requests.
func (g *Gateway) adminAuthenticate(next echo.HandlerFunc) echo.HandlerFunc {
	a := g.cfg.AdminAuth
	wantUser := sha256.Sum256([]byte(a.Username))
	wantPass := sha256.Sum256([]byte(g.cfg.adminPassword))
	return func(c echo.Context) error {
		switch c.Request().URL.Path {
		case "/healthz", "/readyz":
			return next(c)
		}
		user, pass, ok := c.Request().BasicAuth()
		if ok {
			u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
			if subtle.ConstantTimeCompare(u[:], wantUser[:])&subtle.ConstantTimeCompare(p[:], wantPass[:]) == 1 {
				return next(c)
			}
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="modgate admin", charset="UTF-8"`)
		msg := "missing Basic auth credentials (admin_auth)"
		if ok {
			msg = "wrong username or password (admin_auth)"
		}
		return echo.NewHTTPError(http.StatusUnauthorized, msg)
	}
}
