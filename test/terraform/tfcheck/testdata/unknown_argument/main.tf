resource "aws_sqs_queue" "this" {
  name                      = "q"
  visibility_timeout_second = 60
}
