resource "aws_sqs_queues" "this" {
  name = "q"
}

data "aws_caller_identities" "me" {}
