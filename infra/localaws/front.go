package localaws

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// front sits between the SDK and the two motos that Start runs, on the one endpoint the SDK is
// given (AWS_ENDPOINT_URL).
//
// It lets one DynamoDB request through at a time. moto's DynamoDB is not safe under concurrent
// requests: TransactWriteItems deep-copies the table for rollback while other request threads
// change it (a 500 "dictionary changed size during iteration"), and a condition is checked and its
// write applied without a lock, so two conditional writes can both pass. DynamoDB, and DynamoDB
// Local inside LocalStack, apply each request atomically; serializing requests to moto gives the
// same guarantee, so tests of concurrent writers test our conditions and not the emulator's
// races. Other services (SQS long polls) pass through unserialized.
//
// It sends SES requests, and moto's /moto-api/data.json (where SentEmails reads the e-mails
// SES accepted), to a moto of their own. data.json lists every object moto ever created: moto
// keeps each DynamoDB item, and each copy of a table a transaction takes for rollback, for the
// life of the process, so on the moto that serves a test package's DynamoDB one read of it
// grows to seconds as the package runs. The SES moto holds only the e-mails.
type front struct {
	mu       sync.Mutex
	moto     *httputil.ReverseProxy
	mail     *httputil.ReverseProxy
	listener net.Listener
	server   *http.Server
}

func startFront(moto, mail string) (*front, string, error) {
	motoURL, err := url.Parse(moto)
	if err != nil {
		return nil, "", err
	}
	mailURL, err := url.Parse(mail)
	if err != nil {
		return nil, "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	f := &front{moto: httputil.NewSingleHostReverseProxy(motoURL), mail: httputil.NewSingleHostReverseProxy(mailURL), listener: l}
	for _, p := range []*httputil.ReverseProxy{f.moto, f.mail} {
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil { // a cancelled request (a stopped long poll) needs no answer
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
		}
	}
	f.server = &http.Server{Handler: f}
	go f.server.Serve(l)
	return f, "http://" + l.Addr().String(), nil
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/moto-api/data.json" || strings.Contains(r.Header.Get("Authorization"), "/ses/aws4_request"):
		f.mail.ServeHTTP(w, r)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_"):
		f.mu.Lock()
		defer f.mu.Unlock()
		f.moto.ServeHTTP(w, r)
	default:
		f.moto.ServeHTTP(w, r)
	}
}

func (f *front) close() {
	if f != nil {
		f.server.Close()
	}
}
