resource "aws_lambda_event_source_mapping" "this" {
  function_name    = "f"
  event_source_arn = "arn:aws:sqs:us-east-1:123456789012:q"
  scaling_config {
    maximum_concurrency = 2
  }
  scaling_config {
    maximum_concurrency = 3
  }
}
