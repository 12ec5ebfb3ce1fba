package solutions

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync"
	"time"
)

// backups is the simulated Payroll's download server: the backup files it handed over, one per
// collaboration, served over HTTPS on a loopback port, as the service takes only https links to
// a backup. Its certificate is self-signed, made at start: a browser asks once to trust it.
type backups struct {
	url  string // https://127.0.0.1:<port>/backups/
	mu   sync.Mutex
	made map[string]backupFile // collaboration id → file
}

type backupFile struct {
	CompanyID string
	MadeAt    time.Time
}

// startBackups serves GET /backups/{collaborationId} until ctx ends.
func startBackups(ctx context.Context, wg *sync.WaitGroup, log *slog.Logger) (*backups, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, fmt.Errorf("solutions: backup server certificate: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("solutions: backup server: %w", err)
	}
	b := &backups{url: "https://" + l.Addr().String() + "/backups/", made: map[string]backupFile{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backups/{id}", b.serve)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := srv.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("simulated Payroll backup server stopped", "error", err.Error())
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		srv.Close()
	}()
	return b, nil
}

// add makes the backup of a collaboration's company and returns its link.
func (b *backups) add(collaborationID, companyID string, now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.made[collaborationID]; !ok {
		b.made[collaborationID] = backupFile{CompanyID: companyID, MadeAt: now.UTC()}
	}
	return b.url + collaborationID
}

// serve sends a backup file as a download; one never made is 404.
func (b *backups) serve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	b.mu.Lock()
	f, ok := b.made[id]
	b.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": "backup_not_found",
			"message": "the simulated Payroll made no backup for this collaboration", "fix": "use the link of the handover e-mail"}})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="payroll-backup-`+id+`.txt"`)
	fmt.Fprintf(w, "Simulated Payroll backup (local stack)\ncompany: %s\ncollaboration: %s\nmade: %s\n",
		f.CompanyID, id, f.MadeAt.Format(time.RFC3339))
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a year.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "simulated Payroll (local)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
