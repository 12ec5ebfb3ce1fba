// Package runtimeapi is a minimal AWS Lambda Runtime API on loopback, enough to run a real
// bootstrap outside Lambda and time it: the bootstrap long-polls GET .../invocation/next, the
// server hands it the events Invoke queues, and the bootstrap posts each result to
// .../invocation/{id}/response or .../invocation/{id}/error (or, when its init fails,
// /runtime/init/error). The server notes when the first /next arrived, which is when the
// function finished its init.
//
// One Server serves one function process at a time, as Lambda does: invocations are handed out
// one by one, in order.
package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Base is the path prefix of every Runtime API route.
const Base = "/2018-06-01/runtime"

// FunctionARN is the ARN the server says each invocation was made for.
const FunctionARN = "arn:aws:lambda:eu-north-1:123456789012:function:bench"

// Deadline is how long a function gets per invocation (Lambda-Runtime-Deadline-Ms).
const Deadline = 30 * time.Second

// Result is what the function answered to one invocation.
type Result struct {
	// Body is the response payload, or the error payload when Error is set.
	Body []byte
	// Error is set when the function posted to /error: its errorType, or "unknown".
	Error string
}

// ErrInit is returned by Invoke when the function reported a failed init.
var ErrInit = errors.New("runtimeapi: the function reported an init error")

// Server is a Runtime API for one function process.
type Server struct {
	listener net.Listener
	http     *http.Server
	events   chan *invocation

	mu        sync.Mutex
	seq       int
	inflight  map[string]*invocation
	firstNext time.Time
	nextSeen  chan struct{}
	initErr   []byte
	initFail  chan struct{}
}

type invocation struct {
	id      string
	payload []byte
	done    chan Result
}

// Start listens on a free loopback port and serves until Close.
func Start() (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi.Start: %w", err)
	}
	s := &Server{
		listener: l,
		events:   make(chan *invocation),
		inflight: map[string]*invocation{},
		nextSeen: make(chan struct{}),
		initFail: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Base+"/invocation/next", s.next)
	mux.HandleFunc("POST "+Base+"/invocation/{id}/response", s.result(false))
	mux.HandleFunc("POST "+Base+"/invocation/{id}/error", s.result(true))
	mux.HandleFunc("POST "+Base+"/init/error", s.initError)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(l)
	return s, nil
}

// Addr is the host:port to put in the function's AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Close stops the server; a pending /next of the function is answered with an error.
func (s *Server) Close() error { return s.http.Close() }

// FirstNext returns a channel closed when the function first asks for an invocation; FirstNextAt
// then says when.
func (s *Server) FirstNext() <-chan struct{} { return s.nextSeen }

// FirstNextAt is when the first GET /next arrived, or the zero time before it has.
func (s *Server) FirstNextAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// InitError is the payload of the function's /runtime/init/error, if it posted one.
func (s *Server) InitError() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Invoke hands payload to the function's next /next and waits for its result. It returns
// ErrInit when the function reports a failed init, and ctx's error when ctx ends first (pass a
// context that ends when the function's process exits).
func (s *Server) Invoke(ctx context.Context, payload []byte) (Result, error) {
	s.mu.Lock()
	s.seq++
	inv := &invocation{id: "bench-" + strconv.Itoa(s.seq), payload: payload, done: make(chan Result, 1)}
	s.mu.Unlock()
	select {
	case s.events <- inv:
	case <-s.initFail:
		return Result{}, ErrInit
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-s.initFail:
		return Result{}, ErrInit
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.firstNext.IsZero() {
		s.firstNext = time.Now()
		close(s.nextSeen)
	}
	s.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-s.events:
	case <-r.Context().Done():
		return
	}
	s.mu.Lock()
	s.inflight[inv.id] = inv
	s.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(Deadline).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", FunctionARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	w.Write(inv.payload)
}

func (s *Server) result(failed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := r.PathValue("id")
		s.mu.Lock()
		inv, ok := s.inflight[id]
		delete(s.inflight, id)
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in flight")
			return
		}
		res := Result{Body: body}
		if failed {
			res.Error = errorType(r, body)
		}
		inv.done <- res
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	}
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	select {
	case <-s.initFail: // reported already
	default:
		s.initErr = body
		close(s.initFail)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"status":"OK"}`)
}

// errorType reads the error's type from the Lambda-Runtime-Function-Error-Type header or the
// payload's errorType.
func errorType(r *http.Request, body []byte) string {
	if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		return t
	}
	var e struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) == nil && strings.TrimSpace(e.ErrorType) != "" {
		return e.ErrorType
	}
	return "unknown"
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}
