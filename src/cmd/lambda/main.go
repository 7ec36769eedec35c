// Command lambda is the s3migrate worker as an AWS Lambda function
// (provided.al2023, built as `bootstrap` by scripts/package-lambda.sh): SQS
// batches are copied by the worker; an EventBridge-scheduled
// {"jobsender": {...}} payload runs the jobsender.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/s3migrate/s3migrate/src/worker/lambdaapp"
)

func main() {
	app, err := lambdaapp.New(context.Background(), os.LookupEnv, os.Stderr, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "s3migrate lambda: %v\n", err)
		os.Exit(1)
	}
	lambda.Start(app.Handle)
}
