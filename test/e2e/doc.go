// Package e2e holds the terratest end-to-end tests: each deploys one
// example under terraform/examples to a real AWS account, puts objects at the
// source, waits for them at the destination, compares their SHA-256, checks
// that the dead-letter queue is empty, and destroys everything.
//
// They run only with S3MIGRATE_E2E=1 and AWS credentials (`make e2e`);
// otherwise each test skips and says what it needs. See helpers_test.go.
package e2e
