package awscount

import (
	"math"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/spiris/collab/infra/itemsize"
	"github.com/spiris/collab/internal/dynamo"
)

// DynamoDB's capacity units: a read unit covers 4 KB read strongly consistently (half for an
// eventually consistent read), a write unit 1 KB written; a transaction costs twice as much.
const (
	readUnit  = 4096
	writeUnit = 1024
)

// units is an estimate of one call's capacity.
type units struct{ read, write, index float64 }

// unknownItem is the size assumed for an item the request does not carry (updates, deletes,
// condition checks): at most 1 KB, so one write unit.
const unknownItem = writeUnit

// estimate applies DynamoDB's sizing rules to one call: reads by the size of the items returned
// (Query reads are summed before rounding; no query here uses a filter, so returned = read),
// writes by the size of the items written. Every global secondary index whose hash key the
// written item has costs one more write of the item's size (all indexes project ALL). Updates
// and deletes carry no item, so they count as 1 KB and their index writes are not counted: the
// estimate is a lower bound for them.
func estimate(params, result any) units {
	var u units
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		out, _ := result.(*dynamodb.GetItemOutput)
		size := 0
		if out != nil {
			size = itemsize.Of(out.Item)
		}
		u.read = read(size, consistent(in.ConsistentRead))
	case *dynamodb.BatchGetItemInput:
		out, _ := result.(*dynamodb.BatchGetItemOutput)
		for table, ka := range in.RequestItems {
			var items []map[string]types.AttributeValue
			if out != nil {
				items = out.Responses[table]
			}
			for _, item := range items {
				u.read += read(itemsize.Of(item), consistent(ka.ConsistentRead))
			}
			if missing := len(ka.Keys) - len(items); missing > 0 { // a missing item still costs a unit
				u.read += float64(missing) * read(0, consistent(ka.ConsistentRead))
			}
		}
	case *dynamodb.QueryInput:
		out, _ := result.(*dynamodb.QueryOutput)
		size := 0
		if out != nil {
			for _, item := range out.Items {
				size += itemsize.Of(item)
			}
		}
		u.read = read(size, in.IndexName == nil && consistent(in.ConsistentRead))
	case *dynamodb.PutItemInput:
		u.write, u.index = put(in.Item, 1)
	case *dynamodb.UpdateItemInput, *dynamodb.DeleteItemInput:
		u.write = write(unknownItem, 1)
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					w, i := put(r.PutRequest.Item, 1)
					u.write, u.index = u.write+w, u.index+i
				} else {
					u.write += write(unknownItem, 1)
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			if it.Put != nil {
				w, i := put(it.Put.Item, 2)
				u.write, u.index = u.write+w, u.index+i
			} else {
				u.write += write(unknownItem, 2)
			}
		}
	}
	return u
}

func consistent(b *bool) bool { return b != nil && *b }

// read is the read units of size bytes read in one request (at least one unit).
func read(size int, strong bool) float64 {
	n := math.Max(1, math.Ceil(float64(size)/readUnit))
	if !strong {
		return n / 2
	}
	return n
}

// write is the write units of writing size bytes, times factor (2 in a transaction).
func write(size, factor int) float64 {
	return float64(factor) * math.Max(1, math.Ceil(float64(size)/writeUnit))
}

// put is the table and index write units of putting item.
func put(item map[string]types.AttributeValue, factor int) (table, index float64) {
	size := itemsize.Of(item)
	for _, keys := range dynamo.Indexes {
		if _, ok := item[keys[0]]; ok {
			index += write(size, 1)
		}
	}
	return write(size, factor), index
}
