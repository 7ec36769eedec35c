resource "aws_sqs_queue" "this" {
  name   = var.nope
  policy = data.aws_iam_policy_document.missing.json
  tags   = { a = local.absent, b = aws_sns_topic.gone.arn }
}

output "x" {
  description = "Uses a template that is not there."
  value       = templatefile("${path.module}/absent.tftpl", {})
}
