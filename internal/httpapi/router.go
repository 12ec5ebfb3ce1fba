package httpapi

import "strings"

// Match finds the route for a method and a request path, with the path's parameters. The local
// runner and the tests route with it; in AWS, API Gateway does.
func Match(method, path string) (Route, map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range Routes {
		if rt.Method != method {
			continue
		}
		if params, ok := matchPath(rt.Path, parts); ok {
			return rt, params, true
		}
	}
	return Route{}, nil, false
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
