resource "aws_sqs_queue" "this" {
  name = "q"
}

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.url
}
