package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
)

// VerifySender verifies an e-mail identity in the emulator, as an operator does once in SES, so
// the service may send from it.
func VerifySender(ctx context.Context, cfg aws.Config, address string) error {
	_, err := ses.NewFromConfig(cfg).VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(address)})
	if err != nil {
		return fmt.Errorf("localaws.VerifySender: %w", err)
	}
	return nil
}

// SentEmail is one e-mail the emulator's SES accepted.
type SentEmail struct {
	ID      string   `json:"id"`
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Body    string   `json:"body"` // HTML when the e-mail had an HTML part, else text
}

// SentEmails reads every e-mail the emulator's SES accepted, in the order sent: from moto's
// /moto-api/data.json, or LocalStack's /_aws/ses. The emulator is the one AWS_ENDPOINT_URL names.
func SentEmails(ctx context.Context) ([]SentEmail, error) {
	base := strings.TrimRight(os.Getenv("AWS_ENDPOINT_URL"), "/")
	var moto struct {
		SES struct {
			Message []struct {
				ID           string `json:"id"`
				Source       string `json:"source"`
				Subject      string `json:"subject"`
				Body         string `json:"body"`
				Destinations struct {
					ToAddresses []string `json:"ToAddresses"`
				} `json:"destinations"`
			} `json:"Message"`
		} `json:"ses"`
	}
	if ok, err := getJSON(ctx, base+"/moto-api/data.json", &moto); err != nil || ok {
		var out []SentEmail
		for _, m := range moto.SES.Message {
			out = append(out, SentEmail{ID: m.ID, From: m.Source, To: m.Destinations.ToAddresses, Subject: m.Subject, Body: m.Body})
		}
		return out, err
	}
	var localstack struct {
		Messages []struct {
			ID          string `json:"Id"`
			Source      string `json:"Source"`
			Subject     string `json:"Subject"`
			Destination struct {
				ToAddresses []string `json:"ToAddresses"`
			} `json:"Destination"`
			Body struct {
				Text string `json:"text_part"`
				HTML string `json:"html_part"`
			} `json:"Body"`
		} `json:"messages"`
	}
	ok, err := getJSON(ctx, base+"/_aws/ses", &localstack)
	if err != nil || !ok {
		return nil, fmt.Errorf("localaws.SentEmails: the emulator at %s shows no sent e-mail (neither moto nor LocalStack): %v", base, err)
	}
	var out []SentEmail
	for _, m := range localstack.Messages {
		body := m.Body.HTML
		if body == "" {
			body = m.Body.Text
		}
		out = append(out, SentEmail{ID: m.ID, From: m.Source, To: m.Destination.ToAddresses, Subject: m.Subject, Body: body})
	}
	return out, nil
}

// getJSON decodes the JSON at url into v; it reports false for a 404 (the other emulator's path).
func getJSON(ctx context.Context, url string, v any) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return true, json.NewDecoder(resp.Body).Decode(v)
}
