locals {
  events = concat(["s3:ObjectCreated:*"], var.include_removed ? ["s3:ObjectRemoved:*"] : [])
}

# Carries the queue policy's id so that the notification depends on the
# policy even though the policy lives in another module.
resource "terraform_data" "queue_policy" {
  input = var.queue_policy_id
}

resource "aws_s3_bucket_notification" "this" {
  bucket      = var.bucket
  eventbridge = var.eventbridge

  dynamic "queue" {
    for_each = var.filters
    content {
      id            = "s3migrate-${queue.key}"
      queue_arn     = var.queue_arn
      events        = local.events
      filter_prefix = queue.value.prefix == "" ? null : queue.value.prefix
      filter_suffix = queue.value.suffix == "" ? null : queue.value.suffix
    }
  }

  depends_on = [terraform_data.queue_policy]
}
