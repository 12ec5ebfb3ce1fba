package cpuprofile

import (
	"context"
	"testing"
	"time"
)

func TestParseTraces(t *testing.T) {
	out := []byte(`File: x
Type: cpu
-----------+-------------------------------------------------------
      10ms   runtime.futex
             runtime.notesleep
-----------+-------------------------------------------------------
     1.50s   github.com/spiris/collab/internal/actions.(*Service).Deliver
             main.main
-----------+-------------------------------------------------------
`)
	got, err := parseTraces(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].value != 10*time.Millisecond || got[1].value != 1500*time.Millisecond {
		t.Fatalf("got %+v", got)
	}
	if got[1].frames[0] != "github.com/spiris/collab/internal/actions.(*Service).Deliver" || len(got[1].frames) != 2 {
		t.Errorf("frames %v", got[1].frames)
	}
}

func TestOwnerOfAFrame(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/spiris/collab/internal/dynamo.(*Store).get":             Project,
		"github.com/spiris/collab/infra/localaws.(*serializer).ServeHTTP":   Emulator,
		"github.com/aws/aws-sdk-go-v2/aws/signer/v4.(*Signer).SignHTTP":     SDK,
		"net/http.(*persistConn).readLoop":                                  Network,
		"runtime.mallocgc":                                                  Runtime,
		"sync.(*Mutex).Lock":                                                "",
		"encoding/json.(*decodeState).object":                               JSON,
		"github.com/aws/smithy-go/middleware.decoratedHandler.Handle":       SDK,
		"github.com/aws/aws-sdk-go-v2/service/dynamodb.(*Client).GetItem":   SDK,
		"github.com/spiris/collab/internal/actions.(*Service).Cleanup.func": Project,
	} {
		if got := owner(fn); got != want {
			t.Errorf("owner(%s) = %q, want %q", fn, got, want)
		}
	}
}

func TestMeasureProfilesTheWork(t *testing.T) {
	s, err := Measure(context.Background(), t.TempDir(), func() error {
		x := 0
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
			x++
		}
		_ = x
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Samples == 0 || s.CPU <= 0 || s.Wall <= 0 {
		t.Fatalf("nothing measured: %+v", s)
	}
}
