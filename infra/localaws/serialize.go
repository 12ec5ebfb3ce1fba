package localaws

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// serializer sits between the SDK and moto and lets one DynamoDB request through at a time.
//
// moto's DynamoDB is not safe under concurrent requests: TransactWriteItems deep-copies the table
// for rollback while other request threads change it (a 500 "dictionary changed size during
// iteration"), and a condition is checked and its write applied without a lock, so two
// conditional writes can both pass. DynamoDB, and DynamoDB Local inside LocalStack, apply each
// request atomically; serializing requests to moto gives the same guarantee, so tests of
// concurrent writers test our conditions and not the emulator's races. Other services (SQS long
// polls) pass through unserialized.
type serializer struct {
	mu       sync.Mutex
	proxy    *httputil.ReverseProxy
	listener net.Listener
	server   *http.Server
}

func startSerializer(target string) (*serializer, string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	s := &serializer{proxy: httputil.NewSingleHostReverseProxy(u), listener: l}
	s.proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil { // a cancelled request (a stopped long poll) needs no answer
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}
	s.server = &http.Server{Handler: s}
	go s.server.Serve(l)
	return s, "http://" + l.Addr().String(), nil
}

func (s *serializer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_") {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	s.proxy.ServeHTTP(w, r)
}

func (s *serializer) close() {
	if s != nil {
		s.server.Close()
	}
}
