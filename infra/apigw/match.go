package apigw

import (
	"strings"

	"github.com/spiris/collab/internal/httpapi"
)

// Match finds the route of httpapi.Routes for a method and a request path, with the path's
// parameters, as API Gateway routes in AWS.
func Match(method, path string) (httpapi.Route, map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range httpapi.Routes {
		if rt.Method != method {
			continue
		}
		if params, ok := matchPath(rt.Path, parts); ok {
			return rt, params, true
		}
	}
	return httpapi.Route{}, nil, false
}

func matchPath(pattern string, parts []string) (map[string]string, bool) {
	segs := strings.Split(strings.Trim(pattern, "/"), "/")
	if len(segs) != len(parts) {
		return nil, false
	}
	params := map[string]string{}
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if parts[i] == "" {
				return nil, false
			}
			params[seg[1:len(seg)-1]] = parts[i]
			continue
		}
		if seg != parts[i] {
			return nil, false
		}
	}
	return params, true
}
