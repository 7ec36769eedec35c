// dynalite 4.0.0 (npm, .tools/node_modules/dynalite) is DynamoDB on an
// in-memory LevelDB, speaking the DynamoDB JSON 1.0 protocol the
// aws-sdk-go-v2 dynamodb client uses. Findings (checked by dynalite_test.go
// and the dynamostore tests):
//   - CLI: `node cli.js --port N --host 127.0.0.1 [--createTableMs 0]`; no
//     --path means in memory. Tables are CREATING for createTableMs (default
//     500 ms), so we pass 0 and tables are ACTIVE at once.
//   - ConditionExpression (attribute_not_exists, contains on string sets,
//     comparisons, OR/AND), UpdateExpression SET/ADD/REMOVE, ReturnValues
//     ALL_NEW and ConditionalCheckFailedException behave like DynamoDB.
//   - It has DescribeTimeToLive but NOT UpdateTimeToLive (unknown operation)
//     and never expires items: TTL is tested against moto instead.
//   - It does not check credentials or signatures.

package emulator

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
)

// StartDynamoDB starts dynalite in memory on a free loopback port.
func StartDynamoDB(t testing.TB) *AWSService {
	t.Helper()
	mod := NodeModule(t, "dynalite")
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := StartProcess(t, "dynalite", addr, nil, "node", filepath.Join(mod, "cli.js"),
		"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	return &AWSService{Endpoint: "http://" + addr, Region: DummyRegion, Process: p}
}
