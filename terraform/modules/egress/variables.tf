variable "name" {
  description = "Name prefix of every resource (VPC, subnets, NAT instance, Auto Scaling group, security groups)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,30}$", var.name))
    error_message = "name must start with a letter and hold at most 31 letters, digits and hyphens."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC this module creates. Ignored when vpc_id is set."
  type        = string
  default     = "10.80.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block of /20 or larger, e.g. 10.80.0.0/16 (the subnets are carved out of it)."
  }
}

variable "vpc_id" {
  description = "An existing VPC to put the subnets and the NAT instance in (it must have an internet gateway). null creates a new VPC from vpc_cidr."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0, or be null."
  }
}

variable "availability_zone_count" {
  description = "How many availability zones get a public and a private subnet. The NAT instance runs in the first one."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 1 && var.availability_zone_count <= 6 && floor(var.availability_zone_count) == var.availability_zone_count
    error_message = "availability_zone_count must be a whole number from 1 to 6."
  }
}

variable "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets, one per availability zone. null carves /24s (in a /16) from the start of the VPC CIDR (required with an existing vpc_id)."
  type        = list(string)
  default     = null

  validation {
    condition     = alltrue([for c in(var.public_subnet_cidrs == null ? [] : var.public_subnet_cidrs) : can(cidrnetmask(c))])
    error_message = "public_subnet_cidrs must be IPv4 CIDR blocks."
  }
}

variable "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets (where the workers run), one per availability zone. null carves /20s (in a /16) from the upper half of the VPC CIDR (required with an existing vpc_id)."
  type        = list(string)
  default     = null

  validation {
    condition     = alltrue([for c in(var.private_subnet_cidrs == null ? [] : var.private_subnet_cidrs) : can(cidrnetmask(c))])
    error_message = "private_subnet_cidrs must be IPv4 CIDR blocks."
  }
}

variable "allowed_destination_hosts" {
  description = "Hosts the egress proxy may tunnel to: the destination's S3 endpoints, exact (s3.cn-northwest-1.amazonaws.com.cn) or with a leading wildcard label (*.s3.cn-northwest-1.amazonaws.com.cn)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_destination_hosts) > 0 && alltrue([for h in var.allowed_destination_hosts : can(regex("^(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", h))])
    error_message = "allowed_destination_hosts must list at least one lower-case host name (no scheme, no port); a wildcard is only allowed as the first label, e.g. *.amazonaws.com.cn."
  }
}

variable "allowed_destination_ports" {
  description = "Destination ports the egress proxy may tunnel to."
  type        = list(number)
  default     = [443]

  validation {
    condition     = length(var.allowed_destination_ports) > 0 && alltrue([for p in var.allowed_destination_ports : p >= 1 && p <= 65535 && floor(p) == p])
    error_message = "allowed_destination_ports must list TCP ports (1-65535)."
  }
}

variable "proxy_binary_s3_uri" {
  description = "S3 URI of the linux/arm64 s3migrate binary the NAT instance runs as its egress proxy (`s3migrate egress-proxy`), e.g. s3://my-artifacts/s3migrate/v1.2.0/s3migrate-linux-arm64."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\\s'\"]+$", var.proxy_binary_s3_uri))
    error_message = "proxy_binary_s3_uri must be s3://bucket/key (no spaces or quotes)."
  }
}

variable "proxy_port" {
  description = "TCP port the egress proxy listens on, on the NAT instance's private address."
  type        = number
  default     = 3128

  validation {
    condition     = var.proxy_port >= 1024 && var.proxy_port <= 65535 && floor(var.proxy_port) == var.proxy_port
    error_message = "proxy_port must be a TCP port from 1024 to 65535."
  }
}

variable "instance_type" {
  description = "Instance type of the NAT instance; an arm64 (Graviton) type, since the AMI is AL2023 arm64."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+g[a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be a Graviton (arm64) type such as t4g.nano, c7gn.medium or m7g.large."
  }
}

variable "tcp_congestion" {
  description = "TCP congestion control the NAT instance uses for the connections it terminates (the egress proxy's long-haul leg)."
  type        = string
  default     = "bbr"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,15}$", var.tcp_congestion))
    error_message = "tcp_congestion must be a kernel congestion control name such as bbr or cubic."
  }
}

variable "ami_ssm_parameter" {
  description = "SSM parameter holding the AMI id of the NAT instance (Amazon Linux 2023, arm64)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

  validation {
    condition     = startswith(var.ami_ssm_parameter, "/")
    error_message = "ami_ssm_parameter must be an SSM parameter path starting with /."
  }
}

variable "enable_ssm_session_manager" {
  description = "Attach AmazonSSMManagedInstanceCore to the NAT instance's role so it can be reached with Session Manager (no SSH key, no open port)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
