resource "aws_lambda_event_source_mapping" "this" {
  function_name    = "f"
  event_source_arn = "arn:aws:sqs:us-east-1:123456789012:q"
  scaling {
    maximum_concurrency = 2
  }
  dynamic "filter" {
    for_each = []
    content {}
  }
}
