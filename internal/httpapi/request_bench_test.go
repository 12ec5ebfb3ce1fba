package httpapi

import (
	"reflect"
	"testing"

	"github.com/spiris/collab/internal/actions"
)

// BenchmarkDecodeJSON measures the body decoder on an activation with a contact, with and
// without checkKeys' pass over the keys.
func BenchmarkDecodeJSON(b *testing.B) {
	body := []byte(`{"customerNo":"1003","solution":"scanner","taskId":"task-1003","invoiceRecipient":"office",` +
		`"startPeriod":"2027-04","contact":{"name":"Tea Tre","email":"tea@tre.test","language":"sv"}}`)
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in actions.ActivateInput
			if err := decodeJSON(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("keys_only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := checkKeys(body, typeOfActivateInput); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var typeOfActivateInput = reflect.TypeFor[*actions.ActivateInput]()
