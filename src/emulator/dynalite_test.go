package emulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynalite serves the SDK's DynamoDB client, tables are ACTIVE at once and
// conditional writes fail with ConditionalCheckFailedException.
func TestDynaliteConditionalWrite(t *testing.T) {
	t.Parallel()
	d := StartDynamoDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dynamodb.NewFromConfig(d.Config())
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("emu"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	dt, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("emu")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if dt.Table.TableStatus != ddbtypes.TableStatusActive {
		t.Fatalf("table status %s, want ACTIVE at once (createTableMs 0)", dt.Table.TableStatus)
	}
	put := func() error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:           aws.String("emu"),
			Item:                map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "a"}},
			ConditionExpression: aws.String("attribute_not_exists(id)"),
		})
		return err
	}
	if err := put(); err != nil {
		t.Fatalf("first put: %v", err)
	}
	var ccf *ddbtypes.ConditionalCheckFailedException
	if err := put(); !errors.As(err, &ccf) {
		t.Fatalf("second put: got %v, want ConditionalCheckFailedException", err)
	}
}
